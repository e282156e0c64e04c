#!/usr/bin/env bash
# Printed at the end of `make up`: how to reach the site, and the proof that it answers.
# Usage: lab/print-access.sh INVENTORY
set -uo pipefail
inventory=${1:-inventory/lab}
read -r domain port < <(ansible-inventory -i "$inventory" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
hv = inv.get("_meta", {}).get("hostvars", {})
proxy = (inv.get("proxy", {}).get("hosts") or [None])[0]
v = hv.get(proxy, {})
ports = [p for p in v.get("lab_published_ports", []) if p.endswith(":80")]
print(v.get("dumbflix_domain", "?"), ports[0].split(":")[1] if ports else "8080")
')
app=$(cat "${CACHE_DIR:-.cache}/lab-app.txt" 2>/dev/null || echo "as the inventory says")
cat <<TXT

Running: ${app}.
The site is up: http://${domain}:${port}/ once your machine resolves ${domain} to 127.0.0.1.
  Linux/macOS:  echo '127.0.0.1 ${domain}' | sudo tee -a /etc/hosts
  Windows:      add the line '127.0.0.1 ${domain}' to C:\\Windows\\System32\\drivers\\etc\\hosts (as Administrator)
  Without DNS:  curl -H 'Host: ${domain}' http://127.0.0.1:${port}/

Proof (curl -H 'Host: ${domain}' http://127.0.0.1:${port}/):
TXT
out=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %{time_total}' -H "Host: ${domain}" "http://127.0.0.1:${port}/" 2>&1)
code=${out%% *}
if [ "$code" = 200 ]; then
  echo "  HTTP 200 in ${out#* }s"
else
  echo "  no HTTP 200 from the proxy (got: ${out}); see 'make up' output above" >&2
  exit 1
fi
