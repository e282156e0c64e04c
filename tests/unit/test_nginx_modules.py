"""main() of nginx_upstream / nginx_reverse_proxy, and the shared file logic (nginx_file.py).

The real-nginx behaviour is proven in tests/nginx; here a tiny stand-in ``nginx``
script records how it was called (and what was on disk at that moment) so the
write / test / rollback sequence can be checked step by step.
"""

import os
import stat
from pathlib import Path

from module_runner import run_module, snapshot

from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_file as nf
from ansible_collections.dumbflix.stack.plugins.modules import nginx_reverse_proxy, nginx_upstream

SERVERS = [{"address": "127.0.0.1", "port": 3001}, {"address": "127.0.0.1", "port": 3002, "weight": 2}]


def fake_nginx(tmp_path, rc=0, watch=None, message="nginx: [emerg] fake refusal in /x.conf:1"):
    """A stand-in nginx that logs its argv (and ``watch``'s content) to tmp_path/calls.log and exits ``rc``."""
    script = tmp_path / "fake-nginx"
    log = tmp_path / "calls.log"
    body = ["#!/bin/sh", 'echo "ARGV $*" >> %s' % log]
    if watch:
        body.append(
            'if [ -e %s ]; then echo "SEEN $(head -c 200 %s | tail -n +2 | head -n 1)" >> %s; '
            'else echo "SEEN absent" >> %s; fi' % (watch, watch, log, log)
        )
    body += ['case "$*" in *-v*) echo "nginx version: nginx/1.22.1" >&2; exit 0;; esac']
    if rc:
        body.append('echo "%s" >&2' % message)
    body.append("exit %d" % rc)
    script.write_text("\n".join(body) + "\n")
    script.chmod(0o755)
    return str(script), log


def upstream_args(tmp_path, **kwargs):
    args = {"name": "dumbflix", "path": str(tmp_path / "upstream.conf"), "servers": SERVERS, "validate": False}
    args.update(kwargs)
    return args


# --- nginx_upstream ----------------------------------------------------------


def test_upstream_create_then_idempotent(tmp_path):
    args = upstream_args(tmp_path)
    first = run_module(nginx_upstream, args, diff=True, tmpdir=tmp_path)
    assert first["changed"] is True
    path = tmp_path / "upstream.conf"
    assert path.read_text() == first["content"]
    assert "    server 127.0.0.1:3002 weight=2;\n" in first["content"]
    assert first["diff"][0]["before"] == "" and first["diff"][0]["after"] == first["content"]
    assert first["servers"][1] == {
        "address": "127.0.0.1",
        "port": 3002,
        "weight": 2,
        "max_fails": None,
        "fail_timeout": None,
        "backup": False,
        "down": False,
        "max_conns": None,
    }
    before = snapshot(path)
    second = run_module(nginx_upstream, args, diff=True, tmpdir=tmp_path)
    assert second["changed"] is False
    assert second["diff"] == []
    assert snapshot(path) == before  # byte for byte, same inode, mtime kept


def test_upstream_check_mode_reports_but_writes_nothing(tmp_path):
    nginx, log = fake_nginx(tmp_path)
    args = upstream_args(tmp_path, validate=True, nginx_binary=nginx)
    result = run_module(nginx_upstream, args, check_mode=True, diff=True, tmpdir=tmp_path)
    assert result["changed"] is True
    assert not (tmp_path / "upstream.conf").exists()
    assert "+" not in result["diff"][0]["before"] and "upstream dumbflix {" in result["diff"][0]["after"]
    assert not log.exists()  # check mode runs no nginx -t
    run_module(nginx_upstream, dict(args, validate=False), tmpdir=tmp_path)
    before = snapshot(tmp_path / "upstream.conf")
    changed = dict(args, servers=SERVERS[:1])
    result = run_module(nginx_upstream, changed, check_mode=True, diff=True, tmpdir=tmp_path)
    assert result["changed"] is True
    assert "3002" in result["diff"][0]["before"] and "3002" not in result["diff"][0]["after"]
    assert snapshot(tmp_path / "upstream.conf") == before
    assert run_module(nginx_upstream, args, check_mode=True, tmpdir=tmp_path)["changed"] is False


def test_upstream_absent(tmp_path):
    args = upstream_args(tmp_path)
    run_module(nginx_upstream, args, tmpdir=tmp_path)
    absent = dict(args, state="absent", servers=None)
    check = run_module(nginx_upstream, absent, check_mode=True, diff=True, tmpdir=tmp_path)
    assert check["changed"] is True and (tmp_path / "upstream.conf").exists()
    assert check["diff"][0]["after"] == ""
    result = run_module(nginx_upstream, absent, tmpdir=tmp_path)
    assert result["changed"] is True and result["content"] == "" and result["servers"] == []
    assert not (tmp_path / "upstream.conf").exists()
    assert run_module(nginx_upstream, absent, tmpdir=tmp_path)["changed"] is False
    assert os.listdir(tmp_path / "") == [name for name in os.listdir(tmp_path) if not name.startswith(".")]


def test_upstream_default_path_is_in_conf_d():
    path, content, dummy_servers = nginx_upstream.build({"name": "web", "servers": SERVERS, "path": None})
    assert path == "/etc/nginx/conf.d/upstream-web.conf"
    assert content.startswith("# Managed by dumbflix.stack.nginx_upstream")


def test_upstream_backup_and_mode(tmp_path):
    args = upstream_args(tmp_path, mode="0640")
    run_module(nginx_upstream, args, tmpdir=tmp_path)
    path = tmp_path / "upstream.conf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    old = path.read_bytes()
    result = run_module(nginx_upstream, dict(args, backup=True, servers=SERVERS[:1]), tmpdir=tmp_path)
    assert result["changed"] is True
    backup = result["backup_file"]
    assert backup.startswith(str(path) + ".") and backup.endswith("~")
    assert Path(backup).read_bytes() == old
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # a mode-only change is reported and applied without touching the content
    content = path.read_bytes()
    result = run_module(nginx_upstream, dict(args, servers=SERVERS[:1], mode="0600"), tmpdir=tmp_path)
    assert result["changed"] is True and path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_upstream_validate_runs_nginx_on_the_new_file(tmp_path):
    nginx, log = fake_nginx(tmp_path, watch=tmp_path / "upstream.conf")
    args = upstream_args(tmp_path, validate=True, nginx_binary=nginx, nginx_config="/x/nginx.conf", nginx_prefix="/x/")
    assert run_module(nginx_upstream, args, tmpdir=tmp_path)["changed"] is True
    calls = log.read_text().splitlines()
    assert calls == ["ARGV -t -q -c /x/nginx.conf -p /x/", "SEEN upstream dumbflix {"]
    assert run_module(nginx_upstream, args, tmpdir=tmp_path)["changed"] is False
    assert log.read_text().splitlines() == calls  # nothing to change: nginx is not even run


def test_upstream_rejected_by_nginx_restores_previous_file(tmp_path):
    args = upstream_args(tmp_path)
    run_module(nginx_upstream, args, tmpdir=tmp_path)
    path = tmp_path / "upstream.conf"
    before = snapshot(path)
    nginx, log = fake_nginx(tmp_path, rc=1, watch=path)
    bad = dict(args, servers=SERVERS[:1], validate=True, nginx_binary=nginx, backup=True)
    result = run_module(nginx_upstream, bad, tmpdir=tmp_path)
    assert result["failed"] is True
    assert result["msg"].startswith(
        "nginx -t rejected the new configuration; the previous files were restored: "
        "nginx: [emerg] fake refusal in /x.conf:1"
    )
    assert result["nginx_error"] == "nginx: [emerg] fake refusal in /x.conf:1"
    assert snapshot(path) == before  # same bytes, same inode, same mtime
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["upstream.conf", "fake-nginx", "calls.log"]
        + [name for name in os.listdir(tmp_path) if name.startswith("ansible-moduletmp")]
    )  # no backup or rollback left
    assert "SEEN upstream dumbflix {" in log.read_text()  # the new file really was in place during the test


def test_upstream_rejected_new_file_is_removed_again(tmp_path):
    nginx, dummy = fake_nginx(tmp_path, rc=1)
    result = run_module(nginx_upstream, upstream_args(tmp_path, validate=True, nginx_binary=nginx), tmpdir=tmp_path)
    assert result["failed"] is True
    assert "note: nginx -t also fails with the previous files restored" in result["msg"]
    assert not (tmp_path / "upstream.conf").exists()


def test_upstream_missing_nginx_fails_before_writing(tmp_path):
    result = run_module(
        nginx_upstream, upstream_args(tmp_path, validate=True, nginx_binary="/nonexistent/nginx"), tmpdir=tmp_path
    )
    assert result["failed"] is True
    assert result["msg"] == (
        "validate=true needs nginx to test the configuration, but nginx_binary '/nonexistent/nginx' "
        "was not found; install nginx or set validate=false"
    )
    assert not (tmp_path / "upstream.conf").exists()
    # check mode does not need nginx
    assert (
        run_module(
            nginx_upstream,
            upstream_args(tmp_path, validate=True, nginx_binary="/nonexistent/nginx"),
            check_mode=True,
            tmpdir=tmp_path,
        )["changed"]
        is True
    )


def test_upstream_missing_directory(tmp_path):
    result = run_module(
        nginx_upstream, upstream_args(tmp_path, path=str(tmp_path / "nope" / "u.conf")), tmpdir=tmp_path
    )
    assert result["failed"] is True
    assert result["msg"] == "directory %s does not exist (needed for %s)" % (
        tmp_path / "nope",
        tmp_path / "nope" / "u.conf",
    )


def test_upstream_bad_owner_rolls_back(tmp_path):
    args = upstream_args(tmp_path)
    run_module(nginx_upstream, args, tmpdir=tmp_path)
    before = snapshot(tmp_path / "upstream.conf")
    result = run_module(nginx_upstream, dict(args, servers=SERVERS[:1], owner="no-such-user-dumbflix"), tmpdir=tmp_path)
    assert result["failed"] is True
    assert snapshot(tmp_path / "upstream.conf") == before


# --- nginx_reverse_proxy -----------------------------------------------------


def site_args(tmp_path, **kwargs):
    for sub in ("sites-available", "sites-enabled", "conf.d"):
        (tmp_path / sub).mkdir(exist_ok=True)
    args = {
        "name": "dumbflix",
        "server_names": ["alvin.xyz"],
        "upstream": "dumbflix",
        "config_dir": str(tmp_path),
        "access_log": "/var/log/nginx/dumbflix.access.log",
        "validate": False,
    }
    args.update(kwargs)
    return args


def test_reverse_proxy_sites_layout_idempotent(tmp_path):
    args = site_args(tmp_path)
    check = run_module(nginx_reverse_proxy, args, check_mode=True, diff=True, tmpdir=tmp_path)
    assert check["changed"] is True and os.listdir(tmp_path / "sites-available") == []
    assert [d["after_header"] for d in check["diff"]] == [
        str(tmp_path / "sites-available/dumbflix"),
        str(tmp_path / "sites-enabled/dumbflix"),
    ]
    result = run_module(nginx_reverse_proxy, args, diff=True, tmpdir=tmp_path)
    assert result["changed"] is True
    assert result["path"] == str(tmp_path / "sites-available/dumbflix")
    assert result["link"] == str(tmp_path / "sites-enabled/dumbflix")
    assert result["server_names"] == ["alvin.xyz"] and result["log_format"] == "dumbflix_upstream"
    assert os.readlink(result["link"]) == result["path"]
    assert (tmp_path / "sites-available/dumbflix").read_text() == result["content"]
    assert result["diff"][1]["after"] == "symlink -> %s\n" % result["path"]
    before = [snapshot(result["path"]), snapshot(result["link"])]
    again = run_module(nginx_reverse_proxy, args, diff=True, tmpdir=tmp_path)
    assert again["changed"] is False and again["diff"] == []
    assert [snapshot(result["path"]), snapshot(result["link"])] == before


def test_reverse_proxy_switch_layout_and_absent(tmp_path):
    args = site_args(tmp_path)
    run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)
    confd = run_module(nginx_reverse_proxy, dict(args, enabled="conf.d"), diff=True, tmpdir=tmp_path)
    assert confd["changed"] is True and confd["link"] is None
    assert confd["path"] == str(tmp_path / "conf.d/dumbflix.conf")
    assert os.listdir(tmp_path / "sites-available") == [] and os.listdir(tmp_path / "sites-enabled") == []
    assert run_module(nginx_reverse_proxy, dict(args, enabled="conf.d"), tmpdir=tmp_path)["changed"] is False
    back = run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)
    assert back["changed"] is True and os.listdir(tmp_path / "conf.d") == []
    absent = dict(args, state="absent", server_names=None, upstream=None)
    assert run_module(nginx_reverse_proxy, absent, check_mode=True, tmpdir=tmp_path)["changed"] is True
    assert os.path.exists(tmp_path / "sites-available/dumbflix")
    gone = run_module(nginx_reverse_proxy, absent, tmpdir=tmp_path)
    assert gone["changed"] is True
    assert os.listdir(tmp_path / "sites-available") == [] and os.listdir(tmp_path / "sites-enabled") == []
    assert run_module(nginx_reverse_proxy, absent, tmpdir=tmp_path)["changed"] is False


def test_reverse_proxy_leaves_files_it_does_not_manage(tmp_path):
    args = site_args(tmp_path)
    foreign = tmp_path / "conf.d/dumbflix.conf"
    foreign.write_text("# hand written\n")
    run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)
    run_module(nginx_reverse_proxy, dict(args, state="absent"), tmpdir=tmp_path)
    assert foreign.read_text() == "# hand written\n"


def test_reverse_proxy_rollback_restores_file_and_link(tmp_path):
    args = site_args(tmp_path)
    first = run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)
    before = [snapshot(first["path"]), snapshot(first["link"])]
    nginx, dummy = fake_nginx(tmp_path, rc=1)
    result = run_module(
        nginx_reverse_proxy, dict(args, server_names=["other.xyz"], validate=True, nginx_binary=nginx), tmpdir=tmp_path
    )
    assert result["failed"] is True and "fake refusal" in result["nginx_error"]
    assert [snapshot(first["path"]), snapshot(first["link"])] == before
    # a layout switch that nginx refuses puts the sites layout back, link included
    result = run_module(
        nginx_reverse_proxy, dict(args, enabled="conf.d", validate=True, nginx_binary=nginx), tmpdir=tmp_path
    )
    assert result["failed"] is True
    assert [snapshot(first["path"]), snapshot(first["link"])] == before
    assert os.listdir(tmp_path / "conf.d") == []
    assert sorted(os.listdir(tmp_path / "sites-enabled")) == ["dumbflix"]


def test_reverse_proxy_new_site_rejected_leaves_nothing(tmp_path):
    nginx, dummy = fake_nginx(tmp_path, rc=1)
    result = run_module(nginx_reverse_proxy, site_args(tmp_path, validate=True, nginx_binary=nginx), tmpdir=tmp_path)
    assert result["failed"] is True
    assert os.listdir(tmp_path / "sites-available") == [] and os.listdir(tmp_path / "sites-enabled") == []


def test_reverse_proxy_http2_probes_nginx_version(tmp_path):
    nginx, log = fake_nginx(tmp_path)
    args = site_args(
        tmp_path, tls_certificate="/etc/ssl/a.pem", tls_certificate_key="/etc/ssl/a.key", http2=True, nginx_binary=nginx
    )
    result = run_module(nginx_reverse_proxy, args, check_mode=True, tmpdir=tmp_path)
    assert "    listen 443 ssl http2;" in result["content"].splitlines()  # fake nginx says 1.22.1
    assert log.read_text().splitlines() == ["ARGV -v"]


# --- pure parts of nginx_file ------------------------------------------------


def test_read_state_and_needs_change(tmp_path):
    path = tmp_path / "f"
    assert nf.read_state(str(path)) == (nf.ABSENT, None)
    path.write_bytes(b"x")
    assert nf.read_state(str(path)) == (nf.FILE, b"x")
    link = tmp_path / "l"
    os.symlink("/nowhere", link)
    assert nf.read_state(str(link)) == (nf.LINK, "/nowhere")
    assert nf.read_state(str(tmp_path)) == (nf.OTHER, None)
    assert not nf.needs_change(nf.Change(str(path), nf.FILE, content=b"x"), (nf.FILE, b"x"))
    assert nf.needs_change(nf.Change(str(path), nf.FILE, content=b"y"), (nf.FILE, b"x"))
    assert nf.needs_change(nf.Change(str(path), nf.FILE, content=b"x"), (nf.LINK, "x"))
    assert not nf.needs_change(nf.Change(str(link), nf.LINK, target="/nowhere"), (nf.LINK, "/nowhere"))
    assert nf.needs_change(nf.Change(str(link), nf.LINK, target="/a"), (nf.LINK, "/nowhere"))
    assert not nf.needs_change(nf.Change(str(link), nf.ABSENT), (nf.ABSENT, None))
    assert nf.needs_change(nf.Change(str(link), nf.ABSENT), (nf.LINK, "/a"))


def test_preflight_refuses_directories(tmp_path):
    (tmp_path / "d").mkdir()
    change = nf.Change(str(tmp_path / "d"), nf.FILE, content=b"")
    assert nf.preflight([change], [nf.read_state(change.path)]) == (
        "%s exists and is not a regular file or symlink; refusing to replace it" % (tmp_path / "d")
    )


def test_nginx_test_command():
    assert nf.nginx_test_command("/usr/sbin/nginx") == ["/usr/sbin/nginx", "-t", "-q"]
    assert nf.nginx_test_command("nginx", "/a/nginx.conf", "/a/") == [
        "nginx",
        "-t",
        "-q",
        "-c",
        "/a/nginx.conf",
        "-p",
        "/a/",
    ]


def test_reverse_proxy_backup_never_lands_in_sites_enabled(tmp_path):
    args = site_args(tmp_path, backup=True)
    first = run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)
    changed = run_module(nginx_reverse_proxy, dict(args, server_names=["new.xyz"]), tmpdir=tmp_path)
    assert os.path.dirname(changed["backup_file"]) == str(tmp_path / "sites-available")
    assert Path(changed["backup_file"]).read_text() == first["content"]
    # a managed copy sitting in sites-enabled as a plain file is removed without a backup there
    os.unlink(first["link"])
    with open(first["link"], "w") as handle:
        handle.write(changed["content"])
    run_module(nginx_reverse_proxy, dict(args, state="absent"), tmpdir=tmp_path)
    assert os.listdir(tmp_path / "sites-enabled") == []
