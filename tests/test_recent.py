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
