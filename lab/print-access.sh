#!/usr/bin/env bash
# Printed at the end of `make up`: how to reach the site, and the proof that it answers.
# Usage: lab/print-access.sh INVENTORY
set -uo pipefail
inventory=${1:-inventory/lab}
read -r domain port tls_port tls container vip containers < <(ansible-inventory -i "$inventory" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
hv = inv.get("_meta", {}).get("hostvars", {})
proxy = (inv.get("proxy", {}).get("hosts") or [None])[0]
v = hv.get(proxy, {})
def published(target, default):
    ports = [str(p) for p in v.get("lab_published_ports", []) if str(p).endswith(":" + target)]
    return ports[0].split(":")[-2] if ports else default
tls = v.get("dumbflix_tls", "off")
vip = str(v.get("dumbflix_vip") or "").split("/")[0]
print(v.get("dumbflix_domain", "?"), published("80", "80" if vip else "8080"), published("443", "443" if vip else "8443"),
      "off" if tls is False else tls, "%s-%s" % (v.get("lab_name", "dumbflix-lab"), proxy), vip or "-",
      ",".join("%s-%s" % (v.get("lab_name", "dumbflix-lab"), p) for p in inv.get("proxy", {}).get("hosts") or []))
')
# The monitor host (the monitor group's first, else the first proxy): whether it runs the monitoring, its
# container, and where this machine reaches Prometheus and Alertmanager (published ports, else the lab network).
read -r monitoring monitor monitor_container prom_port am_port prom_pub am_pub receiver < <(ansible-inventory -i "$inventory" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
hv = inv.get("_meta", {}).get("hostvars", {})
proxy = (inv.get("proxy", {}).get("hosts") or [None])[0]
group = hv.get(proxy, {}).get("monitoring_group", "monitor")
monitor = (inv.get(group, {}).get("hosts") or [proxy])[0]
v = hv.get(monitor, {})
on = str(v.get("dumbflix_monitoring", True)).lower() not in ("false", "no", "off", "0")
def port(variable, default):
    return str(v.get(variable, default)).rsplit(":", 1)[-1]
def published(target):
    ports = [str(p) for p in v.get("lab_monitoring_published_ports", []) if str(p).count(":") == 2]
    ports = [p for p in ports if p.endswith(":" + target)]
    return ":".join(ports[0].split(":")[:2]) if ports else "-"
prom, am = port("monitoring_prometheus_listen", "127.0.0.1:9090"), port("monitoring_alertmanager_listen", "127.0.0.1:9093")
print("on" if on else "off", monitor, "%s-%s" % (v.get("lab_name", "dumbflix-lab"), monitor), prom, am, published(prom),
      published(am), v.get("lab_alert_receiver_listen", "127.0.0.1:9099"))
')

# Prometheus and Alertmanager: where they are, and that Prometheus is ready (it may still be replaying its
# write-ahead log just after a restart).
print_monitoring() {
  [ "$monitoring" = on ] || return 0
  local lab_addr prom am ready=""
  if [ "$prom_pub" = - ] || [ "$am_pub" = - ]; then
    lab_addr=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$monitor_container" 2>/dev/null | awk '{print $1}')
  fi
  prom=$prom_pub am=$am_pub
  [ "$prom" = - ] && prom=${lab_addr:-?}:${prom_port}
  [ "$am" = - ] && am=${lab_addr:-?}:${am_port}
  for _ in $(seq 30); do
    ready=$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "http://${prom}/-/ready" 2>/dev/null) && [ "$ready" = 200 ] && break
    sleep 1
  done
  cat <<TXT

Monitoring (docs/monitoring.md), on ${monitor}:
  Prometheus:    http://${prom}/  (alerts: http://${prom}/classic/alerts, targets: http://${prom}/classic/targets)
  Alertmanager:  http://${am}/
  Notifications: docker exec ${monitor_container} curl -s http://${receiver}/alerts  (the lab's webhook receiver)
TXT
  if [ "$ready" != 200 ]; then
    echo "  Prometheus at ${prom} is not ready (got: ${ready:-no answer}); see 'make up' output above" >&2
    return 1
  fi
  echo "  Prometheus ready; targets up: $(curl -sS -m 5 "http://${prom}/api/v1/targets?state=active" 2>/dev/null |
    python3 -c 'import json, sys; t = json.load(sys.stdin)["data"]["activeTargets"]; print(sum(x["health"] == "up" for x in t), "of", len(t))' 2>/dev/null || echo '?')"
}
# With a floating address (inventory/lab-ha) this machine reaches the proxies on the lab network
# itself, at the address keepalived moves between them; else the first proxy's published ports.
addr=127.0.0.1
[ "$vip" != - ] && addr=$vip
app=$(cat "${CACHE_DIR:-.cache}/lab-app.txt" 2>/dev/null || echo "as the inventory says")

if [ "$tls" = off ]; then
  cat <<TXT

Running: ${app}.
The site is up: http://${domain}:${port}/ once your machine resolves ${domain} to ${addr}.
  Linux/macOS:  echo '${addr} ${domain}' | sudo tee -a /etc/hosts
  Windows:      add the line '${addr} ${domain}' to C:\\Windows\\System32\\drivers\\etc\\hosts (as Administrator)
  Without DNS:  curl -H 'Host: ${domain}' http://${addr}:${port}/

Proof (curl -H 'Host: ${domain}' http://${addr}:${port}/):
TXT
  out=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %{time_total}' -H "Host: ${domain}" "http://${addr}:${port}/" 2>&1)
  code=${out%% *}
  if [ "$code" = 200 ]; then
    echo "  HTTP 200 in ${out#* }s"
    print_monitoring || exit 1
  else
    echo "  no HTTP 200 from the proxy (got: ${out}); see 'make up' output above" >&2
    exit 1
  fi
  exit 0
fi

# dumbflix_tls self_signed: the site's own certificate is the one thing to trust, for this name only
# (curl --cacert checks the chain and the name; -k would check nothing).
trust=()
cert_note="a certificate from a CA this machine trusts (dumbflix_tls: ${tls})"
if [ "$tls" = self_signed ]; then
  cert_file=$(docker exec "$container" nginx -T 2>/dev/null | sed -n 's/^[[:space:]]*ssl_certificate[[:space:]]\+\([^;]*\);.*/\1/p' | head -n1)
  cert=${CACHE_DIR:-.cache}/lab-site.crt
  mkdir -p "$(dirname "$cert")"
  # every proxy makes its own certificate: behind a floating address either may answer, so trust each
  copied=true
  : >"$cert"
  for each in ${containers//,/ }; do
    docker exec "$each" cat "$cert_file" >>"$cert" 2>/dev/null || copied=false
  done
  if [ -n "$cert_file" ] && $copied; then
    trust=(--cacert "$cert")
    cert_note="self-signed (dumbflix_tls: self_signed), copied to ${cert}: trust that file, or accept the browser's warning"
  else
    echo "  could not read the site's certificate from ${container}; see 'make up' output above" >&2
    exit 1
  fi
fi
cat <<TXT

Running: ${app}.
The site is up: https://${domain}:${tls_port}/ once your machine resolves ${domain} to ${addr}
(http://${domain}:${port}/ redirects there).
  Linux/macOS:  echo '${addr} ${domain}' | sudo tee -a /etc/hosts
  Windows:      add the line '${addr} ${domain}' to C:\\Windows\\System32\\drivers\\etc\\hosts (as Administrator)
  Without DNS:  curl --resolve ${domain}:${tls_port}:${addr} ${trust[*]} https://${domain}:${tls_port}/
The certificate is ${cert_note}.

Proof (curl --resolve ${domain}:${tls_port}:${addr} ${trust[*]} https://${domain}:${tls_port}/):
TXT
out=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %{time_total} %{http_version}' --resolve "${domain}:${tls_port}:${addr}" \
  "${trust[@]}" "https://${domain}:${tls_port}/" 2>&1)
redirect=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: ${domain}" "http://${addr}:${port}/" 2>&1)
if [ "${out%% *}" = 200 ]; then
  read -r _ seconds version <<<"$out"
  echo "  HTTP/${version} 200 in ${seconds}s, certificate checked for ${domain}"
  echo "  http://${domain}:${port}/ answers ${redirect}"
  print_monitoring || exit 1
else
  echo "  no HTTP 200 from the proxy over HTTPS (got: ${out}); see 'make up' output above" >&2
  exit 1
fi
