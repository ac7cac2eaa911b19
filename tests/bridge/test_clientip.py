"""Section 4.5: which IP the bridge injects; X-Forwarded-For only from trusted proxies."""

import pytest

from workbench.bridge.clientip import client_ip, for_log, parse_address, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"])


@pytest.mark.parametrize("peer, xff, proxies, expected", [
    ("203.0.113.9", [], PROXIES, "203.0.113.9"),  # no header: the peer
    ("203.0.113.9", ["198.51.100.1"], PROXIES, "203.0.113.9"),  # untrusted peer: the header is ignored
    ("198.51.100.7", ["1.1.1.1"], (), "198.51.100.7"),  # no trusted proxies configured: always ignored
    ("127.0.0.1", ["198.51.100.1"], PROXIES, "198.51.100.1"),  # trusted peer: its report is believed
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], PROXIES, "198.51.100.1"),  # the rightmost untrusted hop wins
    ("127.0.0.1", ["198.51.100.1, 10.1.2.3"], PROXIES, "198.51.100.1"),  # trusted hops are skipped
    ("127.0.0.1", ["6.6.6.6", "198.51.100.1, 10.1.2.3"], PROXIES, "198.51.100.1"),  # several header lines
    ("127.0.0.1", ["10.9.9.9, 10.1.2.3"], PROXIES, "10.9.9.9"),  # all trusted: the farthest one
    ("127.0.0.1", ["6.6.6.6, garbage"], PROXIES, "127.0.0.1"),  # malformed: stop at the last good
    ("127.0.0.1", ["6.6.6.6, unknown, 10.1.2.3"], PROXIES, "10.1.2.3"),
    ("127.0.0.1", ["198.51.100.1:4711"], PROXIES, "198.51.100.1"),  # with a port
    ("127.0.0.1", ["[2001:db8::1]:443"], PROXIES, "2001:db8::1"),
    ("127.0.0.1", ["2001:db8::2"], PROXIES, "2001:db8::2"),
    ("::ffff:127.0.0.1", ["198.51.100.1"], PROXIES, "198.51.100.1"),  # IPv4-mapped peer
    ("fd00::5", ['"198.51.100.3"'], PROXIES, "198.51.100.3"),
    ("127.0.0.1", [" , ,"], PROXIES, "127.0.0.1"),
    ("not-an-ip", ["1.2.3.4"], PROXIES, "not-an-ip"),
])
def test_client_ip(peer, xff, proxies, expected):
    assert client_ip(peer, xff, proxies) == expected


def test_parse_address_and_networks():
    assert str(parse_address("::ffff:192.0.2.1")) == "192.0.2.1"
    assert parse_address("") is None and parse_address("1.2.3.4.5") is None
    assert [str(n) for n in parse_networks(["127.0.0.1", "10.1.2.3/8"])] == ["127.0.0.1/32", "10.0.0.0/8"]


@pytest.mark.parametrize(("ip", "logged"), [
    ("203.0.113.77", "203.0.113.0/24"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"),  # an IPv4-mapped peer is the IPv4 client
    ("2001:db8:1:2::5", "2001:db8:1::/48"),
    ("not an address", "unknown"),
])
def test_the_log_names_a_clients_network_not_its_address(ip, logged):
    assert for_log(ip) == logged  # section 10.3: the address itself is for geolocation and bot detection only
