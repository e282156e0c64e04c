#!/usr/bin/env bash
# `make up` deploys the real dumbflix-frontend by default. This decides which app it deploys,
# prints one line saying so, and writes site.yml's extra vars ({} = as the inventory says).
# Usage: scripts/choose-app.sh INVENTORY   (DUMBFLIX_SRC=/path picks a local checkout)
set -uo pipefail
inventory=${1:-inventory/lab}
cache=${CACHE_DIR:-.cache}
mkdir -p "$cache"
vars="$cache/lab-app.json"   # read by site.yml (-e @file)
said="$cache/lab-app.txt"    # read by lab/print-access.sh
demo="$PWD/lab/dumbflix-demo"
die() { echo "make: $1" >&2; exit 1; }
json() { python3 -c 'import json, sys; print(json.dumps({"dumbflix_src": sys.argv[1]}))' "$1"; }

if [ -n "${DUMBFLIX_SRC:-}" ]; then
  if ! src=$(realpath -e -- "$DUMBFLIX_SRC" 2>/dev/null) || [ ! -f "$src/package.json" ]; then
    die "DUMBFLIX_SRC=$DUMBFLIX_SRC is not a directory with a package.json (a checkout of dumbflix-frontend)"
  fi
  json "$src" > "$vars"
  echo "your checkout $src (DUMBFLIX_SRC)" > "$said"
  exit 0
fi

# What the inventory says, as the first app host sees it; the repository's default is the
# app role's own (roles/dumbflix_frontend/defaults/main.yml), not a copy.
read -r inv_src repo version < <(ansible-inventory -i "$inventory" --list 2>/dev/null | python3 -c '
import json, sys, yaml
inv = json.load(sys.stdin)
with open("roles/dumbflix_frontend/defaults/main.yml") as f:
    defaults = yaml.safe_load(f)
host = (inv.get("app", {}).get("hosts") or [None])[0]
v = dict(defaults, **inv.get("_meta", {}).get("hostvars", {}).get(host, {}))
print(v.get("dumbflix_src") and "set" or "-", v["dumbflix_repo"], v["dumbflix_version"])
')
[ -n "${repo:-}" ] || die "could not read the inventory $inventory (ansible-inventory failed)"

echo '{}' > "$vars"
if [ "$inv_src" = set ]; then
  echo "the checkout the inventory names (dumbflix_src)" > "$said"
elif GIT_TERMINAL_PROMPT=0 timeout 5 git ls-remote --exit-code -q "$repo" HEAD >/dev/null 2>&1; then
  echo "the real dumbflix-frontend from $repo ($version)" > "$said"
else
  echo "make up: $repo can't be reached from this machine within 5 s, so the lab runs the bundled stand-in" \
       "lab/dumbflix-demo; to run the real app from a local checkout: make up DUMBFLIX_SRC=/path/to/dumbflix-frontend" \
       "(or set dumbflix_src in the inventory)" >&2
  json "$demo" > "$vars"
  echo "the stand-in lab/dumbflix-demo ($repo was out of reach)" > "$said"
fi
