#!/usr/bin/env bash
# make test's real-app stage: turns DUMBFLIX_REAL_APP (a git bundle or a checkout of the real
# dumbflix-frontend) into a checkout under .cache that the molecule default scenario deploys
# through the normal roles (it reads DUMBFLIX_APP_SRC). Prints the checkout's path last.
# The app is test data: it stays outside the project's tracked files.
set -euo pipefail
given=${DUMBFLIX_REAL_APP:?set DUMBFLIX_REAL_APP to a git bundle or checkout of dumbflix-frontend}
dest="${CACHE_DIR:-.cache}/real-app"
if [ -f "$given" ]; then
  commit=$(git bundle list-heads "$given" | awk '$2 == "HEAD" || $2 ~ /master$/ {print $1; exit}')
  if [ "$(git -C "$dest" rev-parse HEAD 2>/dev/null)" != "$commit" ]; then
    rm -rf "$dest"
    git clone -q "$given" "$dest"
  fi
elif [ -f "$given/package.json" ]; then
  dest=$(realpath "$given")
else
  echo "make: DUMBFLIX_REAL_APP=$given is neither a git bundle nor a checkout with a package.json" >&2
  exit 1
fi
grep -q '"react-scripts"' "$dest/package.json" ||
  { echo "make: $dest/package.json is not a Create React App project (no react-scripts): not dumbflix-frontend" >&2; exit 1; }
realpath "$dest"
