"""The app hosts' firewall in the converged topology: the proxy reaches the app port, another app host doesn't.
(The production scenario's test_firewall.py checks the rest: this machine, SSH, other tables, the boot unit.)"""

from conftest import PORT, address_of


def code(h, address):
    res = h.run(f"curl -s -o /dev/null -m 5 -w '%{{http_code}}' http://{address}:{PORT}/")
    return res.stdout if res.rc == 0 else f"exit {res.rc}"


def test_only_the_proxy_reaches_the_app_port(proxy, apps):
    app1, app2 = apps["mol-app1"], apps["mol-app2"]
    for name, h in apps.items():
        assert code(proxy, address_of(h)) == "200", name
        assert code(h, "127.0.0.1") == "200", name
    # refused (TCP reset) by app2's table inet dumbflix, while app2 serves the proxy and itself
    assert code(app1, address_of(app2)) == "exit 7"
    assert f"ip saddr {address_of(proxy)} accept" in app2.check_output("nft list table inet dumbflix")
