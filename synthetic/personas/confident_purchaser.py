"""The confident purchaser: knows what they want; straight to the CTA and the quote form."""

from __future__ import annotations

from synthetic.motion import CALM
from synthetic.personas.base import Actor, Persona


class ConfidentPurchaser(Persona):
    name = "confident_purchaser"
    aliases = ("confident", "purchaser", "buyer")
    description = ("Glances at the price, goes straight to 'Buy Now', then to the lead form: types name, "
                   "email, phone and a message key by key and submits.")
    site = "rv"
    profile = CALM
    expected_emotions = frozenset({"purchase_intent", "urgency", "satisfaction"})
    forbidden_emotions = frozenset({"frustration", "confusion", "disengagement", "overwhelm"})
    expected_signals = frozenset({"purchase_button_hover", "form_focus", "form_submit"})

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 1200)
        await actor.move_to("#price-main", dwell_ms=700)
        await actor.move_to("#cta-buy", dwell_ms=400)
        await actor.click("#cta-buy")  # the site sells by quote: nothing opens
        await actor.dwell(600)
        await actor.scroll_to("#contact")
        await actor.type_text("#lead-name", "Jordan Avery")
        await actor.type_text("#lead-email", "jordan.avery@example.com")
        await actor.type_text("#lead-phone", "509 555 0142")
        await actor.type_text("#lead-message", "Is the 3650SUITE still on the lot? I would like to buy this week.")
        await actor.click("#lead-submit")
        await actor.dwell(1200)
        await actor.move_to("#lead-thanks", dwell_ms=1500)
        await actor.idle(3000)
