"""The bridge's compiled batch check agrees with jsonschema on every document."""

import copy
import random

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, batch, ev, mouse_path
from workbench.protocol.fastschema import UnsupportedSchema, batch_checker, compile_schema
from workbench.protocol.schema import errors

check, compiled = batch_checker()


def agrees(doc) -> bool:
    return check(doc) == (errors(doc, "batch") == [])


def test_the_batch_schema_is_compiled():
    assert compiled, "the batch schema gained a keyword the fast checker lacks: the bridge fell back to jsonschema"


def test_fixtures_and_builders_agree():
    docs = [batch(mouse_path(1000, 50)), batch([]), batch([ev("click", 1, x=1)]),
            {**batch([]), "pageContent": {"pageTitle": "T", "headings": ["a"] * 8, "tables": [{"headers": ["h"],
                                                                                             "rows": [[1]] * 15}]}}]
    docs += [orjson.loads(p.read_bytes()) for p in FIXTURES.rglob("*.json")] if FIXTURES.exists() else []
    for doc in docs:
        assert agrees(doc), doc


JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2, allow_nan=False) |
                    st.sampled_from(["", "x", "telemetry_batch", "a" * 65, "s" * 129]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                                 max_size=4), max_leaves=12)
PATHS = [("type",), ("events",), ("events", 0), ("events", 0, "type"), ("events", 0, "data"),
         ("events", 0, "timestamp"), ("events", 0, "currentSection"), ("sessionId",), ("tenantId",), ("vertical",),
         ("pageContent",), ("pageContent", "pageTitle"), ("pageContent", "headings"), ("pageContent", "tables"),
         ("pageContent", "tables", 0, "rows"), ("pageContent", "tables", 0, "headers"), ("pageContent", "meta"),
         ("pageContent", "structuredData"), ("timestamp",), ("ip",), ("userAgent",)]
BASE = {**batch(mouse_path(1000, 2)), "pageContent": {"pageTitle": "T", "tables": [{"headers": ["h"], "rows": [[1]]}]}}


def _mutate(doc, path, value, delete):
    node = doc
    for key in path[:-1]:
        in_dict = isinstance(node, dict) and key in node
        if in_dict or isinstance(node, list) and isinstance(key, int) and len(node) > key:
            node = node[key]
        else:
            return doc
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None) if delete else node.__setitem__(last, value)
    elif isinstance(node, list) and isinstance(last, int) and len(node) > last:
        node.pop(last) if delete else node.__setitem__(last, value)
    return doc


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON, st.booleans()), min_size=1, max_size=3))
def test_mutated_batches_agree(mutations):
    doc = copy.deepcopy(BASE)
    for path, value, delete in mutations:
        doc = _mutate(doc, path, value, delete)
    assert agrees(doc), doc


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_arbitrary_json_agrees(doc):
    assert agrees(doc)


def test_numbers_bools_and_integers_follow_json_schema():
    rng = random.Random(1)
    for value in (True, False, 0, -1, 0.0, 1.5, 10**20, None, "1", 253_402_300_799_999, 253_402_300_800_000,
                  253_402_300_799_999.5, 1e308):  # the end of year 9999 and past it
        doc = copy.deepcopy(BASE)
        doc["timestamp"] = value
        doc["events"][rng.randrange(2)]["timestamp"] = value
        assert agrees(doc), value
    integer = compile_schema({"type": "integer", "minimum": 1})
    assert integer(1) and integer(2.0) and not integer(1.5) and not integer(True) and not integer(0)
    capped = compile_schema({"type": "number", "maximum": 3})
    assert capped(3) and capped(-1e9) and not capped(3.0001) and not capped(True)


@pytest.mark.parametrize("schema", [{"pattern": "x"}, {"type": "mystery"}, {"items": [{}]}, {"const": {"a": 1}}])
def test_unknown_keywords_refuse_to_compile(schema):
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)
