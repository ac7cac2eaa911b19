"""IP reputation for EITP v1.1 section 8.2: is an address in a known datacenter or cloud range?

The ranges come from an offline list shipped in the repository
(``workbench/data/datacenter_ranges.txt``: a curated subset, its header names the sources and
date). Lookups are a binary search over sorted, merged integer intervals, one table per IP
version. Section 10.3: the address is only ever used for this check; it is not stored.
"""

from __future__ import annotations

import bisect
import ipaddress
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workbench.errors import ConfigError

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "datacenter_ranges.txt"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RangeTable:
    """Sorted, non-overlapping ``[start, end]`` intervals with their provider labels."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    labels: tuple[str, ...]

    def lookup(self, value: int) -> str | None:
        i = bisect.bisect_right(self.starts, value) - 1
        return self.labels[i] if i >= 0 and value <= self.ends[i] else None


@dataclass(frozen=True)
class Reputation:
    v4: RangeTable
    v6: RangeTable
    size: int

    def provider(self, ip: str | None) -> str | None:
        """The provider label when ``ip`` lies in a listed range; ``None`` otherwise or if unparsable."""
        if not ip:
            return None
        try:
            addr = ipaddress.ip_address(ip.strip())
        except ValueError:
            return None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        table = self.v4 if addr.version == 4 else self.v6
        return table.lookup(int(addr))


def _table(rows: list[tuple[int, int, str]]) -> RangeTable:
    rows.sort()
    merged: list[list[int | str]] = []
    for start, end, label in rows:
        last = merged[-1] if merged else None
        # overlapping ranges merge; adjacent ones only when they belong to the same provider
        if last is not None and (start <= int(last[1]) or (start == int(last[1]) + 1 and label == last[2])):
            last[1] = max(int(last[1]), end)
        else:
            merged.append([start, end, label])
    return RangeTable(tuple(int(r[0]) for r in merged), tuple(int(r[1]) for r in merged),
                      tuple(str(r[2]) for r in merged))


def parse(text: str, *, source: str = "<ranges>") -> Reputation:
    """Parse the list format: ``CIDR [label]`` per line, ``#`` comments."""
    v4: list[tuple[int, int, str]] = []
    v6: list[tuple[int, int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            net = ipaddress.ip_network(fields[0], strict=True)
        except ValueError as exc:
            raise ConfigError(f"{source}:{number}: not a CIDR range: {fields[0]!r} ({exc})") from None
        row = (int(net.network_address), int(net.broadcast_address), fields[1] if len(fields) > 1 else "datacenter")
        (v4 if net.version == 4 else v6).append(row)
    return Reputation(_table(v4), _table(v6), len(v4) + len(v6))


@cache
def load(path: str = "") -> Reputation:
    """The list at ``path`` (default: the bundled one), parsed once per process.

    A configured list that is missing is a :class:`ConfigError`. The bundled one missing (an
    install that left package data out) only disables the check, with one warning."""
    file = Path(path) if path else BUNDLED
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path:
            raise ConfigError(f"datacenter range list not found: {file}") from None
        log.warning("bundled datacenter range list %s is missing: IP reputation (section 8.2) is off", file)
        text = ""
    return parse(text, source=str(file))
