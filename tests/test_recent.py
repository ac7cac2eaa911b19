"""workbench.recent: the per-session memory that forgets the least recently stored entry."""

from workbench.recent import Recent


def test_put_refreshes_an_entry_and_the_least_recent_is_forgotten_past_the_capacity():
    r: Recent[str, int] = Recent(2)
    r.put("a", 1)
    r.put("b", 2)
    assert r.put("a", 3) == 3  # "a" is now the most recent
    r.put("c", 4)
    assert "b" not in r and r.get("a") == 3 and r.get("c") == 4 and len(r) == 2
    assert r.get("b") is None and r.get("b", 0) == 0


def test_get_does_not_refresh():
    r: Recent[str, int] = Recent(2)
    r.put("a", 1)
    r.put("b", 2)
    assert r.get("a") == 1
    r.put("c", 3)
    assert "a" not in r and "b" in r


def test_eviction_is_reported_and_pop_forgets_without_reporting():
    gone: list[tuple[str, int]] = []
    r: Recent[str, int] = Recent(2, on_evict=lambda k, v: gone.append((k, v)))
    r.put("a", 1)
    r.put("b", 2)
    assert r.pop("a") == 1 and r.pop("a") is None
    r.put("c", 3)
    r.put("d", 4)
    assert gone == [("b", 2)] and [k for k, _ in r.items()] == ["c", "d"]
