#!/usr/bin/env bash
# Builds the collection tarball, installs it into a scratch collections path and
# checks that its modules and roles resolve by FQCN from there (not from the checkout).
set -euo pipefail
root=$(pwd)
out="$root/${CACHE_DIR:-.cache}/build"
rm -rf "$out"; mkdir -p "$out/collections"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/dumbflix-stack-*.tar.gz)
echo "built $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
# the collection only: what galaxy.yml's build_ignore leaves out must not be in it
unexpected=$(tar -tzf "$tarball" | sed 's|^\./||' | grep -vE '^(MANIFEST\.json|FILES\.json|README\.md|CHANGELOG\.rst|meta/|plugins/|roles/|docs/|changelogs/(changelog|config)\.yaml$|changelogs/$|playbooks/$|playbooks/(site|app-state)\.yml$)' || true)
if [ -n "$unexpected" ]; then
  echo "the tarball holds more than the collection (add it to galaxy.yml's build_ignore):" >&2
  echo "$unexpected" | head -20 >&2
  exit 1
fi
echo "files: $(tar -tzf "$tarball" | grep -vc '/$') (plugins, roles, meta, playbooks site.yml and app-state.yml, docs, changelog)"
# from here on Ansible sees only the installed tarball, never the checkout
printf '[defaults]\n' > "$out/ansible.cfg"
export ANSIBLE_CONFIG="$out/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$out/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
ansible-galaxy collection install --force -p "$out/collections" "$tarball" >/dev/null

cd "$out"
mods=$(ansible-doc -t module -l dumbflix.stack | awk '{print $1}')
roles=$(ansible-doc -t role -l dumbflix.stack | grep -o '^dumbflix\.stack\.[a-z_0-9]*')
echo "modules: $(tr '\n' ' ' <<<"$mods")"
echo "roles:   $(tr '\n' ' ' <<<"$roles")"
fail=0
for m in $mods; do ansible-doc -t module "$m" >/dev/null || { echo "ansible-doc cannot render $m" >&2; fail=1; }; done
for want in dumbflix.stack.nginx_upstream dumbflix.stack.nginx_reverse_proxy dumbflix.stack.pm2_app; do
  grep -qx "$want" <<<"$mods" || { echo "module $want missing from the installed tarball" >&2; fail=1; }
done
for want in nodejs pm2 dumbflix_frontend nginx load_balancer; do
  grep -qx "dumbflix.stack.$want" <<<"$roles" || { echo "role dumbflix.stack.$want missing from the installed tarball" >&2; fail=1; }
done
ansible-doc -t filter dumbflix.stack.lb_servers >/dev/null || { echo "filter dumbflix.stack.lb_servers does not resolve" >&2; fail=1; }
exit $fail
