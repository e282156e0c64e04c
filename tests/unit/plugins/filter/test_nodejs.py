"""The Node.js version filters: the majors apt, node and NodeSource print, and npm engines ranges' floors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.filter.nodejs import node_floor, node_major


@pytest.mark.parametrize(
    "version, major",
    [
        ("v20.19.2", 20),
        ("20.19.2", 20),
        # what `apt-cache policy nodejs` shows as the candidate on Debian 11, 12 and 13, and on NodeSource
        ("12.22.12~dfsg-1~deb11u4", 12),
        ("18.19.0+dfsg-6~deb12u2", 18),
        ("20.19.2+dfsg-1", 20),
        ("20.18.1-1nodesource1", 20),
        ("1:18.19.1+dfsg-6ubuntu5", 18),
        (" v12.22.12\n", 12),
    ],
)
def test_node_major_reads_node_apt_and_nodesource_versions(version, major):
    assert node_major(version) == major


@pytest.mark.parametrize("version", ["", "(none)", "node", None, "vx.1"])
def test_node_major_refuses_what_holds_no_version(version):
    with pytest.raises(AnsibleFilterError, match=r"is not a Node\.js version"):
        node_major(version)


@pytest.mark.parametrize(
    "engines, floor",
    [
        (">=18.0.0", 18),  # pm2 7's own engines
        (">=12.0.0", 12),
        (">= 14", 14),
        ("^16.13.0", 16),
        ("~14.17", 14),
        ("16.x", 16),
        ("16", 16),
        (">=14 <19", 14),
        (">12", 13),
        (">12.1", 12),
        ("12 || >=16", 12),
        (">=16 || ^14.18", 14),
        ("14 - 18", 14),
        ("v18", 18),
        ("<18", 0),
        ("*", 0),
        ("", 0),
        (None, 0),
        (">=16.0.0-rc.1", 16),
    ],
)
def test_node_floor_is_the_lowest_major_the_range_admits(engines, floor):
    assert node_floor(engines) == floor


def test_node_floor_names_where_a_bad_range_came_from():
    with pytest.raises(
        AnsibleFilterError, match=r"/src/package.json engines.node: 'node 18' is not an npm version range"
    ):
        node_floor("node 18", what="/src/package.json engines.node")
