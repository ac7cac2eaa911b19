"""``spatial.trigger`` names a section 3.5 element kind's hover, never a client's free text (section 10)."""

from __future__ import annotations

from tests.engine.telemetry import Visit, run


def test_a_hover_of_no_section_3_5_kind_is_no_trigger():
    v = Visit(section="pricing").move(700, 420, 800).drift(4000)
    v.emit("jane.doe@example.com call 555-123-4567_hover", over=True)
    v.emit("_hover", over=True)
    v.drift(30_000)
    packets, bots = run(v.batches())
    assert bots[-1].verdict.classification == "human" and packets
    assert [p["spatial"]["trigger"] for p in packets] == [None] * len(packets)


def test_the_highest_intent_kind_hovered_is_the_trigger():
    v = Visit(section="pricing").move(700, 420, 800).drift(4000)
    v.emit("cta_hover", over=True, element_type="cta", elementId="a", meta={})
    v.emit("checkout_button_hover", over=True, element_type="checkout_button", elementId="b", meta={})
    v.emit("zzz_checkout_button_hover", over=True)
    v.drift(30_000)
    packets, _ = run(v.batches())
    assert packets[0]["spatial"]["trigger"] == "checkout_button_hover"
