"""Persona geography (section 7.6 grouping) and the trust it needs, without a browser."""

import pytest

from synthetic.personas import PERSONAS
from synthetic.response import SCENARIOS
from tests.sim.short_personas import Glance
from workbench.bridge.clientip import client_ip, parse_networks
from workbench.cli import cmd_run
from workbench.config import EITPConfig
from workbench.enrichment import REGIONS, address_in, geo_of
from workbench.sim.runner import RunSpec, embedded_config


def test_every_region_has_addresses_that_map_back_to_it():
    for region in REGIONS:
        addresses = {address_in(region, i) for i in range(300)}
        assert len(addresses) == 254  # every host of the /24, wrapping around
        assert {geo_of(a) for a in addresses} == {region}
    with pytest.raises(ValueError, match="unknown region"):
        address_in("local", 1)  # loopback is where the proxy is, not where visitors come from


def test_only_the_runners_embedded_bridge_believes_the_loopback_proxy():
    serve = EITPConfig()  # what `workbench serve` uses unless told otherwise
    assert serve.transport.trusted_proxies == []
    forwarded = ["203.0.113.7"]
    assert client_ip("127.0.0.1", forwarded, parse_networks(serve.transport.trusted_proxies)) == "127.0.0.1"
    embedded = embedded_config(serve)
    assert serve.transport.trusted_proxies == []  # the caller's config is left alone
    assert client_ip("127.0.0.1", forwarded, parse_networks(embedded.transport.trusted_proxies)) == "203.0.113.7"
    assert client_ip("::1", forwarded, parse_networks(embedded.transport.trusted_proxies)) == "203.0.113.7"
    # a peer that is not loopback is still never believed
    assert client_ip("198.51.100.9", forwarded, parse_networks(embedded.transport.trusted_proxies)) == "198.51.100.9"
    mine = serve.with_overrides({"transport.trusted_proxies": ["10.0.0.0/8"]})
    assert embedded_config(mine).transport.trusted_proxies == ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]


def test_only_a_virtual_time_run_counts_events_on_the_page_clocks_alone():
    serve = EITPConfig()
    assert serve.transport.max_events_per_wall_second == 500  # section 4.6, on the wall clock too
    assert embedded_config(serve).transport.max_events_per_wall_second == 500  # real time: as served
    assert embedded_config(serve, virtual_time=True).transport.max_events_per_wall_second == 0
    # a page's keepalives follow its clock, which stands still while a virtual-time run is paused
    assert embedded_config(serve).transport.idle_timeout_ms == serve.transport.idle_timeout_ms > 0
    assert embedded_config(serve, virtual_time=True).transport.idle_timeout_ms == 0
    assert serve.transport.max_events_per_wall_second == 500  # the caller's config is left alone


def test_personas_declare_a_known_region_and_a_run_may_move_them():
    assert {p.geography for p in PERSONAS.values()} <= set(REGIONS)
    spec = RunSpec([Glance])
    assert spec.geography_of(Glance) == Glance.geography == "us-west"
    assert RunSpec([Glance], geography="ca-central").geography_of(Glance) == "ca-central"
    with pytest.raises(ValueError, match="unknown geography"):
        RunSpec([Glance], geography="mars")


def test_the_cli_offers_exactly_the_known_scenarios_and_regions():
    assert set(cmd_run.RESPONSE_SCENARIOS) == set(SCENARIOS)
    assert cmd_run.GEOGRAPHIES == REGIONS
