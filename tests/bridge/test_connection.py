"""The bridge's per-connection rules, sans I/O: bytes in, replies, publishes and deliveries out."""

import orjson
import pytest

from tests.conftest import batch, ev, mouse_path
from workbench.bridge import codec, connection
from workbench.bridge.connection import (
    BridgeConnection,
    check_batch,
    connect_identity,
    encode_err,
    is_intervention,
)
from workbench.bridge.limits import LimiterRegistry
from workbench.config import TransportConfig

CONNECT = codec.encode_connect({"tenant_id": "org_test", "session_id": "sq_1_test", "verbose": False})
OWN = "seer.org_test.intervention.request.sq_1_test"
AUTH = codec.encode_err("Authorization Violation")


def connected(**kw) -> BridgeConnection:
    conn = BridgeConnection(peer_ip="192.0.2.10", user_agent="UA/1", **kw)
    result = conn.receive(CONNECT + codec.PING)
    assert result.send == [codec.PONG] and result.violations == [] and result.close is None
    return conn


def pub(doc, subject="telemetry.raw") -> bytes:
    return codec.encode_pub(subject, orjson.dumps(doc))


def test_greeting_is_an_info_line_with_our_limit():
    info = BridgeConnection(peer_ip="x").greeting()
    parser = codec.NatsParser()
    parser.receive_data(info)
    (cmd,) = parser.events_received()
    assert isinstance(cmd, codec.Info) and cmd.options["max_payload"] == 50_000 and cmd.options["server_id"]
    assert cmd.options["headers"] is False


# --- handshake (4.1) and the stock-client mapping ------------------------------------------
NATS_PY_OPTIONS = {"echo": True, "headers": False, "lang": "python3", "no_responders": False, "pedantic": False,
                   "protocol": 1, "verbose": False, "version": "2.16.0"}


@pytest.mark.parametrize("options, identity", [
    ({"tenant_id": "org_a", "session_id": "sq_1"}, ("org_a", "sq_1")),
    ({**NATS_PY_OPTIONS, "name": "org_a/sq_2"}, ("org_a", "sq_2")),
    ({**NATS_PY_OPTIONS, "user": "org_a", "pass": "sq_3"}, ("org_a", "sq_3")),
    # the spec's fields win over the stock-client mappings
    ({"tenant_id": "org_a", "session_id": "sq_4", "name": "org_b/sq_x", "user": "org_c", "pass": "p"},
     ("org_a", "sq_4")),
    ({"name": "org_a/sq_5", "user": "org_c", "pass": "p"}, ("org_a", "sq_5")),
])
def test_identity_from_spec_fields_name_or_user_pass(options, identity):
    assert connect_identity(options) == identity


@pytest.mark.parametrize("options", [
    {}, NATS_PY_OPTIONS, {"name": "just-a-name"}, {"tenant_id": "org_a"}, {"session_id": "s"},
    {"tenant_id": "org_a", "session_id": "*"}, {"tenant_id": "org_a", "session_id": ">"},
    {"tenant_id": "org.a", "session_id": "s"}, {"tenant_id": "org_a", "session_id": "a.b"},
    {"tenant_id": "org_a", "session_id": "a b"}, {"tenant_id": "", "session_id": "s"},
    {"tenant_id": "org_a", "session_id": "s" * 129}, {"tenant_id": 1, "session_id": "s"},
    {"name": "org_a/sq/extra"}, {"user": "org_a"}, {"name": "/sq_1"},
])
def test_bad_identity_is_an_authorization_violation_and_closes(options):
    assert isinstance(connect_identity(options), str)
    conn = BridgeConnection(peer_ip="x")
    result = conn.receive(codec.encode_connect(options) + codec.PING)
    assert result.send == [AUTH] and result.close == "Authorization Violation"
    assert [v.kind for v in result.violations] == ["handshake"]
    assert conn.receive(codec.PING).send == []  # closed: nothing more is read


def test_identity_at_the_128_character_boundary():
    assert connect_identity({"tenant_id": "t" * 128, "session_id": "s" * 128}) == ("t" * 128, "s" * 128)


def test_stock_client_connect_is_accepted_quietly_and_pong_follows():
    conn = BridgeConnection(peer_ip="x")
    result = conn.receive(codec.encode_connect({**NATS_PY_OPTIONS, "name": "org_test/sq_1_test"}) + codec.PING)
    assert result.send == [codec.PONG] and result.violations == []  # verbose false: no +OK
    assert conn.intervention_subject() == OWN


def test_verbose_acknowledges_connect_pub_and_sub_and_defaults_on_like_nats_server():
    conn = BridgeConnection(peer_ip="x")
    assert conn.receive(codec.encode_connect({"tenant_id": "org_test", "session_id": "sq_1_test"})).send == [codec.OK]
    result = conn.receive(pub(batch(mouse_path(1000, 2))) + codec.encode_sub(OWN, "1"))
    # the PUB's +OK is held until the bus has taken the batch (Result.answered), in its place before the SUB's
    assert result.send == [codec.OK] and len(result.publish) == 1
    assert result.answered() == [codec.OK, codec.OK]
    assert result.answered(refused={0}) == [connection.encode_err("Service Unavailable"), codec.OK]


@pytest.mark.parametrize("verbose, acknowledged", [
    (False, False), ("false", False), ("False", False), (0, False), (True, True), ("true", True), (1, True)])
def test_verbose_is_read_as_a_flag_whatever_the_client_wrote(verbose, acknowledged):
    conn = BridgeConnection(peer_ip="x")
    options = {"tenant_id": "org_test", "session_id": "sq_1_test", "verbose": verbose}
    assert conn.receive(codec.encode_connect(options)).send == ([codec.OK] if acknowledged else [])


def test_tenant_not_served_is_refused():
    conn = BridgeConnection(peer_ip="x", tenants={"org_test"})
    result = conn.receive(codec.encode_connect({"tenant_id": "org_other", "session_id": "s"}))
    assert result.close == "Authorization Violation" and "not served" in result.violations[0].message


def test_second_connect_may_repeat_but_not_change_identity():
    conn = connected()
    assert conn.receive(CONNECT).violations == []
    other = conn.receive(codec.encode_connect({"tenant_id": "org_test", "session_id": "sq_2", "verbose": False}))
    assert other.send == [AUTH] and other.close


@pytest.mark.parametrize("command", [b"PUB telemetry.raw 2\r\n{}\r\n", b"SUB " + OWN.encode() + b" 1\r\n",
                                     b"UNSUB 1\r\n"])
def test_commands_before_connect_close_the_connection(command):
    conn = BridgeConnection(peer_ip="x")
    assert conn.receive(codec.PING).send == [codec.PONG]  # PING is fine before CONNECT
    result = conn.receive(command + CONNECT)
    assert result.send == [AUTH] and result.close and result.violations[0].kind == "handshake"
    assert conn.session_id is None  # the CONNECT after it was not read


# --- publishing ------------------------------------------------------------------------------
def test_valid_batch_is_published_with_server_side_ip_and_ua():
    conn = connected()
    doc = batch(mouse_path(1000, 3), ip="6.6.6.6", clientIp="7.7.7.7", ipAddress="8.8.8.8", remoteAddress="9.9.9.9")
    result = conn.receive(pub(doc))
    assert result.send == [] and result.violations == []
    (published,) = result.publish
    assert published.subject == "telemetry.raw"
    assert published.batch["ip"] == "192.0.2.10"
    assert not {"clientIp", "ipAddress", "remoteAddress"} & set(published.batch)
    assert published.batch["userAgent"] == "UA/1"


def test_ping_pong_and_split_frames():
    conn = connected()
    data = codec.PING + pub(batch(mouse_path(1000, 2)))
    results = [conn.receive(data[i:i + 7]) for i in range(0, len(data), 7)]
    assert sum(len(r.publish) for r in results) == 1
    assert [s for r in results for s in r.send] == [codec.PONG]


@pytest.mark.parametrize("subject", ["emotions.org_test.detected.x", OWN, "telemetry.raw.extra", "telemetry.*",
                                     "bot.org_test.detection.sq_1_test", "TELEMETRY.RAW"])
def test_publish_outside_whitelist_is_a_permissions_violation(subject):
    conn = connected()
    result = conn.receive(f"PUB {subject} 2\r\n{{}}\r\n".encode() + pub(batch(mouse_path(2000, 2))))
    assert result.send == [f"-ERR 'Permissions Violation for Publish to \"{subject}\"'\r\n".encode()]
    assert [v.kind for v in result.violations] == ["permissions"]
    assert len(result.publish) == 1  # the valid PUB after it is not lost


def test_a_cr_inside_a_subject_is_escaped_in_the_error_and_a_bare_lf_ends_the_line():
    conn = connected()
    result = conn.receive(b"SUB a\rb 1\r\nPUB tele\nmetry.raw 2\r\n")
    assert result.send == [b"-ERR 'Permissions Violation for Subscription to \"a\\rb\"'\r\n",
                           b"-ERR 'Invalid PUB arguments'\r\n",  # "PUB tele": the LF ended it
                           b"-ERR 'Unknown Protocol Operation'\r\n"]  # "metry.raw 2"


def test_a_pub_refused_for_its_arguments_is_one_error_and_the_next_batch_is_kept():
    conn = connected()
    body = orjson.dumps(batch(mouse_path(1000, 2)))
    result = conn.receive(f"PUB telemetry.raw two extra {len(body)}\r\n".encode() + body + b"\r\n"
                          + pub(batch(mouse_path(2000, 2))))
    assert result.send == [b"-ERR 'Invalid PUB arguments'\r\n"]  # not a second one for the batch as a command
    assert [v.kind for v in result.violations] == ["parse"] and len(result.publish) == 1


def test_control_lines_ending_in_a_bare_lf_work_as_nats_server_allows():
    conn = BridgeConnection(peer_ip="x")
    connect = codec.encode_connect({"tenant_id": "org_test", "session_id": "sq_1_test", "verbose": False})
    body = orjson.dumps(batch(mouse_path(1000, 2)))
    result = conn.receive(connect.replace(b"\r\n", b"\n") + b"PING\n\n" + f"PUB telemetry.raw {len(body)}\n".encode()
                          + body + b"\r\n")
    assert result.send == [codec.PONG] and result.violations == [] and len(result.publish) == 1


def _sized(total: int) -> bytes:
    doc = batch(mouse_path(1000, 2))
    base = len(orjson.dumps(doc))
    doc["vertical"] = "x" * (total - base + len("rv_dealer"))
    body = orjson.dumps(doc)
    assert len(body) == total
    return body


def test_message_size_limit_50000_passes_50001_refused():
    conn = connected()
    ok = conn.receive(codec.encode_pub("telemetry.raw", _sized(50_000)))
    assert len(ok.publish) == 1 and ok.violations == []
    too_big = conn.receive(codec.encode_pub("telemetry.raw", _sized(50_001)) + pub(batch(mouse_path(5000, 2))))
    assert [v.kind for v in too_big.violations] == ["payload_size"]
    assert b"Maximum Payload Violation" in too_big.send[0]
    assert len(too_big.publish) == 1 and too_big.close is None  # the next batch still gets through


@pytest.mark.parametrize("wrong_by", [-9, 9, 40])
def test_a_pub_with_a_wrong_byte_count_costs_only_itself(wrong_by):
    conn = connected()
    body = orjson.dumps(batch(mouse_path(1000, 2)))
    bad = f"PUB telemetry.raw {len(body) + wrong_by}\r\n".encode() + body + b"\r\n"
    result = conn.receive(bad + pub(batch(mouse_path(5000, 2))) + codec.PING)
    assert result.send == [encode_err("Missing CRLF after payload"), codec.PONG]
    assert [v.kind for v in result.violations] == ["parse"] and result.close is None
    assert [p.batch["timestamp"] for p in result.publish] == [5050]  # the next batch is not lost


def test_a_payload_too_large_to_skip_closes_the_connection():
    conn = connected()
    assert conn.receive(b"PUB telemetry.raw 200000\r\n").close is None  # 4 x 50,000: skipped
    conn = connected()
    result = conn.receive(b"PUB telemetry.raw 200001\r\n")
    assert result.close == "Maximum Payload Violation" and b"Maximum Payload Violation" in result.send[0]
    assert connected().receive(b"PUB telemetry.raw 999999999999999999\r\n").close


def test_wrong_tenant_and_wrong_session_are_refused():
    conn = connected()
    result = conn.receive(pub(batch(mouse_path(1000, 2), tenant="org_evil")) +
                          pub(batch(mouse_path(1000, 2), session="sq_other")))
    assert [v.kind for v in result.violations] == ["tenant", "session"]
    assert result.publish == []
    assert b"Tenant Violation" in result.send[0] and b"Session Violation" in result.send[1]


def test_junk_json_and_invalid_batch_get_specific_errors():
    conn = connected()
    result = conn.receive(codec.encode_pub("telemetry.raw", b"{nope") +
                          pub({"type": "telemetry_batch", "events": "no"}))
    assert [v.kind for v in result.violations] == ["parse", "invalid_batch"]
    assert b"not JSON" in result.send[0] and b"Invalid Batch" in result.send[1]


def test_garbage_never_raises():
    conn = connected()
    result = conn.receive(b"HELLO world\r\nPUB telemetry.raw notanumber\r\n\x00\xff\r\nMSG a 1 2\r\nxx\r\n")
    assert len(result.violations) == 4 and all(v.kind == "parse" for v in result.violations)
    assert len(result.send) == 4 and all(s.startswith(b"-ERR '") for s in result.send)


def test_an_err_quoting_a_huge_value_still_fits_a_control_line():
    # a refusal quotes what it refused; a 40,000-character id once made a 40,048-byte -ERR line, past the
    # 4,096-byte control line of nats-server, nats clients and our own codec, which then could not read it
    conn = connected()
    result = conn.receive(pub(batch(mouse_path(1000, 2), tenant="é" * 20_000)) +
                          pub([1] * 20_000) + codec.encode_pub("telemetry." + "a" * 4070, b"{}"))
    assert [v.kind for v in result.violations] == ["invalid_batch", "invalid_batch", "permissions"]
    parser = codec.NatsParser()
    parser.receive_data(b"".join(result.send))
    errors = parser.events_received()
    assert [type(e) for e in errors] == [codec.Err] * 3, errors
    assert all(len(line) <= 4096 + 2 for line in result.send)
    assert errors[0].message.startswith("Invalid Batch: tenantId: 'éé") and errors[0].message.endswith("...")
    assert errors[2].message.startswith('Permissions Violation for Publish to "telemetry.aaa')


# --- limits through the connection -----------------------------------------------------------
def test_frame_guard_allows_n_pubs_per_wall_second_then_refuses():
    conn = connected(config=TransportConfig(max_pubs_per_second=5))
    frames = [pub(batch(mouse_path(1000 + i * 3000, 1))) for i in range(7)]
    accepted = [len(conn.receive(f, now=100.0 + i * 0.1).publish) for i, f in enumerate(frames[:6])]
    assert accepted == [1, 1, 1, 1, 1, 0]
    refused = conn.receive(pub(batch(mouse_path(99_000, 1))), now=100.55)
    assert refused.violations[0].kind == "rate_frames" and refused.send[0].startswith(b"-ERR 'Rate Limit Exceeded")
    assert len(conn.receive(frames[6], now=101.01).publish) == 1  # the first of them left the window


def test_event_rate_through_the_connection_and_the_limit_is_per_session_not_per_connection():
    limiters = LimiterRegistry(TransportConfig())
    first, second = connected(limiters=limiters), connected(limiters=limiters)
    events = [ev(f"t{i % 10}", 5000 + i) for i in range(499)]  # 499 events in event second 5
    assert len(first.receive(pub(batch(events))).publish) == 1
    assert len(second.receive(pub(batch([ev("x", 5999)]))).publish) == 1  # the 500th
    refused = second.receive(pub(batch([ev("y", 5500)])))  # the 501st, by another connection of the session
    assert refused.publish == [] and refused.violations[0].kind == "rate_events"
    assert b"Rate Limit Exceeded" in refused.send[0]


# --- subscriptions and delivery ---------------------------------------------------------------
def test_subscribe_only_to_own_intervention_subject():
    conn = connected()
    assert conn.receive(codec.encode_sub(OWN, "1")).violations == []
    for subject in ("seer.org_test.intervention.request.sq_OTHER", "seer.org_test.intervention.request.*",
                    "seer.>", ">", "telemetry.raw"):
        other = conn.receive(codec.encode_sub(subject, "2"))
        assert other.send == [f"-ERR 'Permissions Violation for Subscription to \"{subject}\"'\r\n".encode()]
        assert other.violations[0].kind == "permissions"
    queued = conn.receive(codec.encode_sub(OWN, "3", queue="q"))
    assert queued.send == [f"-ERR 'Permissions Violation for Subscription to \"{OWN}\" using queue \"q\"'\r\n"
                           .encode()]
    assert list(conn.subscriptions) == ["1"]


def test_deliver_sends_msg_to_each_own_subscription_and_unsub_stops_it():
    conn = connected()
    conn.receive(codec.encode_sub(OWN, "1") + codec.encode_sub(OWN, "7"))
    payload = b'{"type":"intervention","message":"Hi"}'
    assert conn.deliver(OWN, payload) == [codec.encode_msg(OWN, "1", payload), codec.encode_msg(OWN, "7", payload)]
    assert conn.deliver("seer.org_test.intervention.request.sq_2", payload) == []
    conn.receive(codec.encode_unsub("1"))
    assert conn.deliver(OWN, payload) == [codec.encode_msg(OWN, "7", payload)]
    conn.receive(codec.encode_unsub("7", 4))  # auto-unsubscribe at four since the SUB: two more
    assert len(conn.deliver(OWN, payload)) == 1 and len(conn.deliver(OWN, payload)) == 1
    assert conn.deliver(OWN, payload) == [] and conn.subscriptions == {}


def test_an_unsub_max_counts_the_messages_since_the_sub_as_nats_server_does():
    conn = connected()
    conn.receive(codec.encode_sub(OWN, "1") + codec.encode_sub(OWN, "2"))
    payload = b'{"type":"intervention","message":"Hi"}'
    assert len(conn.deliver(OWN, payload)) == 2 and len(conn.deliver(OWN, payload)) == 2
    conn.receive(codec.encode_unsub("1", 3) + codec.encode_unsub("2", 2))  # "2" has had its two: gone now
    assert conn.deliver(OWN, payload) == [codec.encode_msg(OWN, "1", payload)]  # the third of "1"
    assert conn.deliver(OWN, payload) == [] and conn.subscriptions == {}


def test_subscriptions_per_connection_are_capped():
    conn = connected(config=TransportConfig(max_subscriptions=2))
    result = conn.receive(b"".join(codec.encode_sub(OWN, str(i)) for i in range(3)) + codec.encode_sub(OWN, "1"))
    assert result.send == [codec.encode_err("Maximum Subscriptions Exceeded")]
    assert sorted(conn.subscriptions) == ["0", "1"]


def test_a_subscription_id_no_msg_could_carry_is_refused():
    # the parser splits a line on spaces and tabs only, so a sid may hold another whitespace character;
    # accepted, every MSG to it failed to encode, and the session's other connections got no intervention
    conn = connected()
    result = conn.receive(b"SUB " + OWN.encode() + b" x\x0by\r\n" + codec.encode_sub(OWN, "2"))
    assert result.send == [codec.encode_err("Invalid Subscription ID 'x\\x0by'")]
    assert [v.kind for v in result.violations] == ["parse"] and result.close is None
    payload = b'{"type":"intervention","message":"Hi"}'
    assert conn.deliver(OWN, payload) == [codec.encode_msg(OWN, "2", payload)]


@pytest.mark.parametrize("payload, expected", [
    (b'{"type":"intervention","message":"Choosing can feel tough"}', True),
    (orjson.dumps({"sessionId": "s", "tenantId": "t", "emotion": {"primary": "frustration"}}), False),  # packet
    (b'{"type":"Intervention"}', False), (b'[{"type":"intervention"}]', False), (b'"intervention"', False),
    (b"not json", False), (b"", False), (b'{"type":["intervention"]}', False),
])
def test_only_interventions_may_reach_the_browser(payload, expected):
    assert is_intervention(payload) is expected


def test_a_batch_with_no_events_is_accepted_not_a_crash():
    # schema-valid (no minItems): the limiter once took max() of nothing and the handler died with no -ERR
    conn = connected()
    result = conn.receive(pub(batch([], session="sq_1_test", ts=1_740_700_800_000)))
    assert result.violations == [] and result.close is None and len(result.publish) == 1
    quota = LimiterRegistry(TransportConfig(max_session_events_per_hour=100))
    assert quota.get("org_test", "sq_1_test").check(1_740_700_800_000, [], 0.0) is None


@pytest.mark.parametrize("session", ["a.b", "*", ">", "x y", "detected.sq_victim"])
def test_ids_that_are_not_subject_tokens_are_refused_at_every_door(session):
    # the POST door has no CONNECT to check the ids: "detected.sq_victim" would alias another subject (4.2)
    doc = batch(mouse_path(1000, 3), session=session)
    refused, violation = check_batch(orjson.dumps(doc), tenant=None, session=None, peer_ip="192.0.2.10",
                                     user_agent="UA/1")
    assert refused is None and violation is not None and violation.kind == "invalid_batch"
    assert "sessionId" in violation.message and "A-Z a-z 0-9 _ -" in violation.message


def test_a_client_ip_anywhere_in_the_page_content_is_removed():
    content = {"meta": {"ip": "203.0.113.77", "clientIp": "203.0.113.78", "description": "RV"},
               "structuredData": [{"remoteAddress": "203.0.113.79", "name": "Trailer"}]}
    doc = batch(mouse_path(1000, 3), pageContent=content)
    checked, violation = check_batch(orjson.dumps(doc), tenant=None, session=None, peer_ip="192.0.2.10",
                                     user_agent="UA/1")
    assert violation is None and checked is not None
    assert checked["pageContent"] == {"meta": {"description": "RV"}, "structuredData": [{"name": "Trailer"}]}
    assert "203.0.113" not in orjson.dumps(checked).decode() and checked["ip"] == "192.0.2.10"


def test_a_client_ip_in_an_event_or_in_the_pages_text_is_removed_too():
    # what a producer that does not redact addresses would send: a custom event's own "ip" field, and
    # the account-security line many sites print ("Signed in from ..."), in the page content and a click
    events = [*mouse_path(1000, 3), ev("geo_hint", 1200, ip="198.51.100.44", city="Pasco"),
              ev("click", 1300, target={"text": "Not you? Last seen from 2001:db8:85a3::8a2e:370:7334"})]
    content = {"h1": "Docs at http://10.0.0.8/docs; you are ::ffff:203.0.113.7 on 16:9",
               "visibleContent": "Signed in from 198.51.100.44. At 10:30:00 on std::vector",
               "headings": ["Device fe80:0:0:0:1ff:fe23:4567:890a"]}
    doc = batch(events, pageContent=content)
    checked, violation = check_batch(orjson.dumps(doc), tenant=None, session=None, peer_ip="192.0.2.10",
                                     user_agent="UA/1")
    assert violation is None and checked is not None
    assert checked["events"][-2]["data"] == {"city": "Pasco"}
    assert checked["events"][-1]["data"]["target"]["text"] == "Not you? Last seen from [REDACTED]"
    # times, ratios, C++ scopes and a URL's host (a server's address) are not a client's address
    assert checked["pageContent"]["visibleContent"] == "Signed in from [REDACTED]. At 10:30:00 on std::vector"
    assert checked["pageContent"]["h1"] == "Docs at http://10.0.0.8/docs; you are [REDACTED]:[REDACTED] on 16:9"
    assert checked["pageContent"]["headings"] == ["Device [REDACTED]"]
    assert checked["events"][:3] == doc["events"][:3] and checked["ip"] == "192.0.2.10"
    wire = orjson.dumps({k: v for k, v in checked.items() if k != "ip"}).decode()
    assert "198.51.100" not in wire and "2001:db8" not in wire and "fe80" not in wire


def test_a_client_ip_hidden_by_json_escapes_or_written_in_a_key_is_removed_too():
    # JSON may write any character as \\uXXXX, so an address need not look like one in the raw bytes ...
    raw = orjson.dumps(batch(mouse_path(1000, 3), pageContent={"h1": "Signed in from 198.51.100.45"}))
    raw = raw.replace(b"198.51.100.45", b"198\\u002e51\\u002e100\\u002e45")
    assert b"198.51.100.45" not in raw and orjson.loads(raw)["pageContent"]["h1"] == "Signed in from 198.51.100.45"
    checked, violation = check_batch(raw, tenant=None, session=None, peer_ip="192.0.2.10", user_agent="UA/1")
    assert violation is None and checked is not None
    assert checked["pageContent"] == {"h1": "Signed in from [REDACTED]"}
    # ... and a custom event or the page's metadata may carry one as an object's key
    events = [*mouse_path(1000, 3), ev("seen", 1200, **{"Signed in from 198.51.100.44": True, "n": 1})]
    doc = batch(events, pageContent={"meta": {"last login 2001:db8::7334": "yes"}})
    checked, violation = check_batch(orjson.dumps(doc), tenant=None, session=None, peer_ip="192.0.2.10",
                                     user_agent="UA/1")
    assert violation is None and checked is not None
    assert checked["pageContent"] == {"meta": {"last login [REDACTED]": "yes"}}
    assert checked["events"][-1]["data"] == {"Signed in from [REDACTED]": True, "n": 1}
    wire = orjson.dumps({k: v for k, v in checked.items() if k != "ip"}).decode()
    assert "198.51.100" not in wire and "2001:db8" not in wire


@pytest.mark.parametrize("before", ["\n", "\r", "\t", "\b", "\f"])
def test_a_client_ip_at_the_start_of_a_line_is_removed_too(before):
    # the producer joins a page's paragraphs with newlines, so an address often starts a line; in the
    # raw JSON it follows an escape's letter ("\\n203..."), which a word boundary check took for a word
    text = f"Signed in from{before}203.0.113.7 (Denver)"
    checked, violation = check_batch(orjson.dumps(batch(mouse_path(1000, 3), pageContent={"visibleContent": text})),
                                     tenant=None, session=None, peer_ip="192.0.2.10", user_agent="UA/1")
    assert violation is None and checked is not None
    assert checked["pageContent"] == {"visibleContent": f"Signed in from{before}[REDACTED] (Denver)"}


def test_a_client_ip_in_the_envelopes_own_fields_is_removed_too():
    # Sections 4.5 and 10.3: the envelope's other fields reach the engine as well (the vertical
    # names the session's group in the knowledge store), and the schema lets a client add its own
    doc = batch(mouse_path(1000, 3), vertical="203.0.113.7", client={"addr": "Signed in from 198.51.100.44"},
                X_Forwarded_For="2001:db8::7334", **{"last login 198.51.100.45": True})
    checked, violation = check_batch(orjson.dumps(doc), tenant=None, session=None, peer_ip="192.0.2.10",
                                     user_agent="UA/1")
    assert violation is None and checked is not None
    assert checked["vertical"] == "[REDACTED]" and checked["X_Forwarded_For"] == "[REDACTED]"
    assert checked["client"] == {"addr": "Signed in from [REDACTED]"} and checked["last login [REDACTED]"] is True
    assert checked["events"] == doc["events"] and checked["ip"] == "192.0.2.10"
    wire = orjson.dumps({k: v for k, v in checked.items() if k != "ip"}).decode()
    assert "203.0.113" not in wire and "198.51.100" not in wire and "2001:db8" not in wire


def test_hpub_is_refused_since_info_offers_no_headers_and_the_connection_goes_on():
    conn = connected()
    assert conn.greeting().startswith(b"INFO ") and b'"headers":false' in conn.greeting()
    body = orjson.dumps(batch(mouse_path(1000, 2)))
    hpub = codec.encode_hpub("telemetry.raw", b"NATS/1.0\r\n\r\n", body)
    result = conn.receive(hpub + pub(batch(mouse_path(2000, 2))))
    assert result.send == [b"-ERR 'Message Headers Not Supported'\r\n"] and len(result.publish) == 1
    assert result.publish[0].batch["timestamp"] == 2050 and result.close is None
