#!/usr/bin/env bash
# Installs what the lab, the tests and make proof need on this machine and starts the Docker
# engine. Safe to re-run: it only installs what is missing and only starts dockerd
# when `docker info` does not answer. Any failure ends with one line saying what
# failed and what to do.
set -uo pipefail

die() { echo "make: $1" >&2; exit 1; }
cache=${CACHE_DIR:-.cache}
mkdir -p "$cache"

# command -> Debian package that provides it
declare -A want=(
  [dockerd]=docker.io
  [mmdebstrap]=mmdebstrap
  [nginx]=nginx
  [node]=nodejs
  [npm]=npm
  # the production molecule scenario reaches its hosts over SSH, as on real servers
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  # make up asks whether the app's repository can be reached (git ls-remote)
  [git]=git
  # make proof screenshots the site with a headless browser
  [chromium]=chromium
  # make bench measures the proxy with wrk
  [wrk]=wrk
  # the keepalived_vrrp tests check every rendered file with keepalived --config-test
  [keepalived]=keepalived
  # ansible-test sanity's shellcheck test, and the project's own shell scripts
  [shellcheck]=shellcheck
)
# file -> Debian package that provides it
declare -A want_files=(
  # make proof: chromium draws text with whatever fonts are installed, and pulls in none itself
  [/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]=fonts-dejavu-core
)
missing=()
for cmd in "${!want[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}")
done
for file in "${!want_files[@]}"; do
  [ -e "$file" ] || missing+=("${want_files[$file]}")
done
# the docker CLI may come from elsewhere; the engine is what we need
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "needs root to install ${missing[*]}: run 'sudo make ...' or install them yourself"
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing: ${missing[*]}"
  if ! { apt-get update -q >"$cache/apt.log" 2>&1 &&
         DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$cache/apt.log" 2>&1; }; then
    die "apt-get could not install ${missing[*]} (log: $cache/apt.log); check the machine's apt sources and network, then re-run"
  fi
  # Debian starts nginx on port 80 when it installs it; the tests use their own private nginx.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

# promtool and mtail for the monitoring role's unit tests (alert rules, the nginx log program), taken out
# of this release's Debian packages without installing them: installing would start Prometheus and mtail here.
tools="$cache/tools"
download() { (cd "$work" && apt-get download -q "$pkg") >>"$cache/tools.log" 2>&1; }
# tool -> the packages that ship it, first match wins (Debian 13 splits promtool out of prometheus)
declare -A want_tools=([promtool]="promtool prometheus" [mtail]=mtail)
for tool in "${!want_tools[@]}"; do
  [ -x "$tools/bin/$tool" ] && continue
  for pkg in ${want_tools[$tool]}; do
    apt-cache show "$pkg" >/dev/null 2>&1 && break
  done
  mkdir -p "$tools/bin"
  work=$(mktemp -d "$tools/.extract.XXXXXX") || die "could not create a directory under $tools"
  # a machine whose package lists are old or missing needs an apt-get update first (only root may)
  if ! download && ! { [ "$(id -u)" = 0 ] && apt-get update -q >>"$cache/tools.log" 2>&1 && download; }; then
    rm -rf "$work"
    die "apt-get download $pkg failed (log: $cache/tools.log); run 'sudo apt-get update' or check the apt sources, then re-run"
  fi
  debs=("$work/${pkg}_"*.deb)
  if ! dpkg-deb -x "${debs[0]}" "$work/root" ||
     ! install -m 0755 "$work/root/usr/bin/$tool" "$tools/bin/$tool.new" ||
     ! mv "$tools/bin/$tool.new" "$tools/bin/$tool"; then
    rm -rf "$work"
    die "could not extract /usr/bin/$tool from ${debs[0]##*/} into $tools/bin"
  fi
  rm -rf "$work"
  echo "extracted $tool from ${debs[0]##*/} into $tools/bin"
done

if docker info >/dev/null 2>&1; then
  exit 0
fi
echo "starting the Docker engine"
if [ -d /run/systemd/system ] && systemctl start docker >/dev/null 2>&1; then
  :
else
  [ "$(id -u)" = 0 ] || die "dockerd is not running and only root can start it: run 'sudo make ...'"
  # setsid + its own log: the engine must not hold the caller's terminal or CI's pipes.
  setsid dockerd >"$cache/dockerd.log" 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
die "dockerd did not answer within 60 s (log: $cache/dockerd.log); fix what it reports, then re-run"
