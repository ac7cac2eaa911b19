"""Which IP address the bridge injects into a batch (EITP v1.1 sections 4.5, 10.3), sans I/O.

The address is the socket peer's. ``X-Forwarded-For`` is believed only when the peer is one of
the configured trusted proxies (``transport.trusted_proxies``, CIDRs): the header is then read
from the right, skipping further trusted proxies, and the first address that is not a trusted
proxy is the client (nginx's ``real_ip_recursive``). A malformed entry stops the walk at the
last address known good. Without trusted proxies the header is ignored, so a client can never
choose the IP the engine's bot and geo logic see.

Section 10.3 keeps the address for geolocation and bot detection only, so the bridge's own log
names a refused client by its network (:func:`for_log`: the /24 of an IPv4 address, the /48 of
an IPv6 one), which is enough to spot a flood from one place and is not the client's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "::1"]`` -> networks (a bare address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


def parse_address(text: str) -> Address | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``, ``::1``; else None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_ip(peer: str, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The client's IP: ``peer``, or what trusted proxies reported in ``X-Forwarded-For`` (all header lines)."""
    current = parse_address(peer)
    if current is None:
        return peer
    if not proxies or not _trusted(current, proxies):
        return str(current)
    hops = [hop for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        current = address
        if not _trusted(current, proxies):
            break
    return str(current)


def for_log(ip: str) -> str:
    """``203.0.113.77`` -> ``203.0.113.0/24``; ``2001:db8:1:2::5`` -> ``2001:db8:1::/48``; else ``"unknown"``."""
    address = parse_address(ip)
    if address is None:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
