"""The shipping plan (plugins/filter/ship.py) that the app release and the pm2 install share:
nothing is made while a host or the cache has the artifact, exactly one host packs, and
only the hosts that lack it unpack."""

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dumbflix.stack.plugins.filter.ship import ship_plan

HOSTS = ["app1", "app2", "app3"]


def test_first_run_makes_on_the_make_host_and_ships_to_everyone():
    plan = ship_plan(HOSTS, [], "app1")
    assert plan == {"have": [], "need": HOSTS, "make": True, "pack_host": "app1"}


def test_converged_hosts_change_nothing():
    assert ship_plan(HOSTS, HOSTS, "app1", cached=True) == {"have": HOSTS, "need": [], "make": False, "pack_host": None}
    # an emptied cache is not refilled while no host needs the artifact
    assert ship_plan(HOSTS, HOSTS, "app1")["pack_host"] is None


def test_a_new_host_gets_the_cached_artifact_and_nothing_is_made():
    plan = ship_plan(HOSTS, ["app1", "app2"], "app1", cached=True)
    assert plan == {"have": ["app1", "app2"], "need": ["app3"], "make": False, "pack_host": None}


def test_an_empty_cache_is_refilled_from_a_host_that_has_it():
    assert ship_plan(HOSTS, ["app1", "app2"], "app1")["pack_host"] == "app1"
    # the make host lacks it: the first host that has it packs, nothing is made
    plan = ship_plan(HOSTS, ["app3", "app2"], "app1")
    assert plan["pack_host"] == "app2"
    assert plan["need"] == ["app1"]
    assert plan["make"] is False


def test_a_make_host_outside_the_play_is_named_when_it_would_have_to_make():
    with pytest.raises(
        AnsibleFilterError, match=r"pm2_install_host: 'app9' is not a host of this play \(app1, app2, app3\)"
    ):
        ship_plan(HOSTS, [], "app9", variable="pm2_install_host")
    # it doesn't matter while someone has the artifact
    assert ship_plan(HOSTS, ["app2"], "app9")["pack_host"] == "app2"


@given(
    have=st.sets(st.sampled_from(HOSTS)),
    make_host=st.sampled_from(HOSTS),
    cached=st.booleans(),
)
def test_the_plan_always_delivers_to_every_host(have, make_host, cached):
    plan = ship_plan(HOSTS, sorted(have), make_host, cached=cached)
    assert sorted(plan["have"] + plan["need"]) == sorted(HOSTS)
    assert set(plan["have"]) == have
    # made only when nobody and nothing has it
    assert plan["make"] == (not cached and not have)
    # whoever needs it finds it in the cache: it was there, or someone who has it (or makes it) packs it
    if plan["need"] and not cached:
        assert plan["pack_host"] in set(have) | ({make_host} if plan["make"] else set())
    if cached or not plan["need"]:
        assert plan["pack_host"] is None
