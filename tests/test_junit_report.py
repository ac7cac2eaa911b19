"""The JUnit report as CI reads it: stable case names across runs, always well-formed XML."""

import xml.etree.ElementTree as ET

from workbench.report.junit import to_junit


def report(session_ids, actual="1 intervention(s)"):
    sessions = [{"persona": "calm_researcher", "session_id": sid, "seed_index": index, "wall_ms": 1000,
                 "error": None, "checks": [{"name": "intervention", "status": "fail", "expected": "none",
                                             "actual": actual}]}
                for sid, index in session_ids]
    return {"run": {"id": "run_x", "seed": 7}, "config": {"clock": "virtual"}, "sessions": sessions}


def cases(xml):
    return [(c.get("classname"), c.get("name")) for c in ET.fromstring(xml.split("\n", 1)[1]).iter("testcase")]


def test_a_case_is_named_by_the_personas_nth_session_so_ci_keeps_its_history():
    first = to_junit(report([("sq_1795359505398_as71", 3), ("sq_1795359505398_bb02", 1)]))
    again = to_junit(report([("sq_1795359511111_as71", 3), ("sq_1795359511111_bb02", 1)]))  # the next build
    assert cases(first) == cases(again)
    assert sorted(cases(first)) == [("calm_researcher.session_1", "intervention"),
                                    ("calm_researcher.session_2", "intervention")]
    failure = ET.fromstring(first.split("\n", 1)[1]).find(".//testcase[@classname='calm_researcher.session_1']/failure")
    assert "sq_1795359505398_bb02" in failure.text  # the seed-index-1 session comes first; its id is still there


def test_control_characters_in_an_error_still_make_well_formed_xml():
    xml = to_junit(report([("sq_1", 0)], actual="Error: boom \x1b[31mred\x1b[0m \x00"))
    failure = ET.fromstring(xml.split("\n", 1)[1]).find(".//failure")
    assert "boom" in failure.get("message") and "\x1b" not in failure.get("message")
