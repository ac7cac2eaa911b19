"""A map of the most recently used entries, up to a capacity (pure).

Per-session memory in a long-running process (the bridge's limiters, Seer's ended sessions, the
enricher's published emotions, the consumer's tenant of each session) must not grow with every
visitor ever seen: each keeps the sessions it touched last and forgets the least recent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """``on_evict(key, value)``, when given, hears of each entry forgotten for want of room."""

    def __init__(self, capacity: int, on_evict: Callable[[K, V], None] | None = None) -> None:
        self.capacity = capacity
        self.on_evict = on_evict
        self._items: OrderedDict[K, V] = OrderedDict()

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: V) -> V: ...

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value, without making it more recent."""
        return self._items.get(key, default)

    def put(self, key: K, value: V) -> V:
        """Store ``value`` as the most recent entry, forgetting the least recent past the capacity."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            evicted = self._items.popitem(last=False)
            if self.on_evict is not None:
                self.on_evict(*evicted)
        return value

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def items(self) -> Iterator[tuple[K, V]]:
        """Least recent first (a copy: the map may change while the caller goes through it)."""
        return iter(list(self._items.items()))

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
