"""Last, because it changes the topology: `dumbflix_monitoring: false` takes away what the monitoring put on a host
(services, their files, the exporter ports' firewall rule, nginx's status server) and leaves the site serving."""

from conftest import CERT_FILE, DOMAIN, MONITOR, one_line, run_site

EXPORTERS = ("prometheus-node-exporter", "prometheus-nginx-exporter", "mtail", "dumbflix-pm2-metrics.timer")
SERVERS = ("prometheus", "prometheus-alertmanager", "prometheus-blackbox-exporter")
PORTS = (9100, 9113, 3903, 8080, 9090, 9093, 9115)


def test_monitoring_off_removes_it_from_the_hosts_and_the_site_keeps_serving(hosts):
    # each host has every exporter (proxy and app), and the monitor every server too: together they cover each piece
    res = run_site("-e", "dumbflix_monitoring=false")
    assert res.returncode == 0, one_line(res)[-3000:]

    for name, h in hosts.items():
        for service in EXPORTERS + (SERVERS if name == MONITOR else ()):
            assert not h.service(service).is_running, (name, service)
        listening = h.check_output("ss -Htln | awk '{print $4}'")
        for port in PORTS:
            assert not any(a.endswith(f":{port}") for a in listening.split()), (name, port, listening)
        rules = h.run("nft list table inet dumbflix").stdout
        assert "9100" not in rules, (name, rules)
        assert not h.file("/etc/nginx/conf.d/dumbflix-status.conf").exists, name

    for name, h in hosts.items():
        code = h.check_output(
            f"curl -s -o /dev/null -w '%{{http_code}}' -m 5 --cacert {CERT_FILE} "
            f"--resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/"
        )
        assert code == "200", name
