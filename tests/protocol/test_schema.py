import copy
import json

import pytest

from tests.conftest import FIXTURES
from workbench.cli.main import main
from workbench.errors import ValidationError
from workbench.protocol import schema
from workbench.protocol.taxonomy import CANONICAL

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
BATCH = json.loads((FIXTURES / "spec" / "11.1-telemetry-batch.json").read_text())


def test_spec_examples_validate():
    assert schema.errors(PACKET, "packet") == []
    assert schema.errors(BATCH, "batch") == []


def test_taxonomy_has_22_values_and_schema_enum_matches_it():
    assert len(CANONICAL) == 22 and len(set(CANONICAL)) == 22
    enum = schema.schema("packet")["properties"]["emotion"]["properties"]["primary"]["enum"]
    assert enum == list(CANONICAL)


@pytest.mark.parametrize("emotion", ["unknown", "happy", "Decision_Paralysis", ""])
def test_emotion_outside_taxonomy_fails_with_reason(emotion):
    packet = copy.deepcopy(PACKET)
    packet["emotion"]["primary"] = emotion
    with pytest.raises(ValidationError) as exc:
        schema.validate(packet, "packet")
    message = str(exc.value)
    assert "emotion.primary" in message and "22 canonical" in message and repr(emotion) in message


def test_unknown_is_called_out_as_prohibited():
    packet = copy.deepcopy(PACKET)
    packet["emotion"]["primary"] = "unknown"
    assert "explicitly prohibited" in schema.errors(packet, "packet")[0]


def test_ip_in_packet_is_refused():
    packet = dict(PACKET, ip="203.0.113.9")
    assert any("section 10.3" in e for e in schema.errors(packet, "packet"))


@pytest.mark.parametrize("dimension", ["emotion", "spatial", "temporal", "behavioral", "patterns", "intent"])
def test_missing_dimension_fails(dimension):
    packet = {k: v for k, v in PACKET.items() if k != dimension}
    assert any(dimension in e for e in schema.errors(packet, "packet"))


def test_confidence_out_of_range_fails():
    packet = copy.deepcopy(PACKET)
    packet["emotion"]["confidence"] = 1.5
    assert any("emotion.confidence" in e for e in schema.errors(packet, "packet"))


def test_batch_needs_its_envelope():
    bad = {k: v for k, v in BATCH.items() if k != "tenantId"}
    assert any("tenantId" in e for e in schema.errors(bad, "batch"))
    assert schema.errors(dict(BATCH, type="something_else"), "batch")


def test_cli_validate_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(PACKET))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(PACKET, emotion=dict(PACKET["emotion"], primary="unknown"))))
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    batch_file = tmp_path / "batch.json"
    batch_file.write_text(json.dumps(BATCH))
    assert main(["validate", str(good), str(batch_file)]) == 0
    out = capsys.readouterr().out
    assert "valid EITP v1.1 packet" in out and "valid EITP v1.1 batch" in out
    assert main(["validate", str(bad)]) == 1
    assert "explicitly prohibited" in capsys.readouterr().out
    assert main(["validate", str(junk)]) == 1
    assert "not JSON" in capsys.readouterr().out


def test_cli_schema_prints_json(capsys):
    assert main(["schema", "packet"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "EITP v1.1 packet"


def test_a_limit_takes_the_first_problems_found_and_a_value_too_deep_to_show_is_named():
    # a bridge answering a flood of bad events lists three, and does three's worth of work
    flood = {"type": "telemetry_batch", "sessionId": "sq_1_x", "tenantId": "org_x", "vertical": "rv_dealer",
             "pageContent": None, "timestamp": 1, "events": [{}] * 2000}
    assert len(schema.errors(flood, "batch")) >= 2000 and len(schema.errors(flood, "batch", limit=3)) == 3
    nested: object = []
    for _ in range(990):  # orjson reads it; showing it in a message is past Python's recursion limit
        nested = [nested]
    assert schema.errors({**flood, "events": [nested]}, "batch") == [schema.TOO_DEEP]
