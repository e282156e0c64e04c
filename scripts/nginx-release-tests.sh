#!/usr/bin/env bash
# Runs the real-nginx tests (tests/nginx) against the nginx of a Debian release other than this
# machine's: Debian 11's 1.18 and Debian 13's 1.26 beside the host's (Debian 12's 1.22), so a
# directive only newer nginx accepts can't reach the older ones unnoticed.
# The release's nginx runs in a container of the lab's base image that shares this machine's
# network (the tests' backends and nginx listen on 127.0.0.1), process ids (the tests signal
# nginx by the pid in its pid file) and /tmp (the tests write their configurations there).
# Usage: scripts/nginx-release-tests.sh SUITE [pytest args]
set -euo pipefail
suite=${1:?usage: scripts/nginx-release-tests.sh bullseye|bookworm|trixie [pytest args]}
shift
image=dumbflix-lab-base:$suite
name=dumbflix-nginx-$suite
cache=${CACHE_DIR:-.cache}
mkdir -p "$cache"
wrapper=$(realpath "$cache")/nginx-$suite

cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; rm -f "$wrapper"; }
trap cleanup EXIT
cleanup
docker run -d --name "$name" --network host --pid host -v /tmp:/tmp --entrypoint sleep "$image" infinity >/dev/null
# policy-rc.d: Debian's nginx package would start nginx on port 80 of this machine's network
docker exec "$name" sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d &&
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null' ||
  { echo "could not install nginx in the $suite container" >&2; exit 1; }
printf '#!/bin/sh\nexec docker exec -i %s nginx "$@"\n' "$name" > "$wrapper"
chmod +x "$wrapper"
echo "=== tests/nginx against Debian $suite's $("$wrapper" -v 2>&1)"
DUMBFLIX_TEST_NGINX=$wrapper pytest -p no:cacheprovider tests/nginx "$@"
