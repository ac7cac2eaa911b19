"""The connection-only probe: opens the page and does nothing (an uptime checker, a scanner)."""

from __future__ import annotations

from synthetic.personas.base import DESKTOP_CHROME_UA, Actor, Persona


class ConnectionProbe(Persona):
    name = "connection_probe"
    aliases = ("probe",)
    description = ("Loads the page and holds the connection for 12 s without a single input event "
                   "(section 8.1: connection-only sessions over 10 s are bots). Spoofs a desktop UA.")
    site = "rv"
    user_agent = DESKTOP_CHROME_UA
    expected_bot = True
    expected_signals = frozenset({"connection"})
    # Only a `connection` event is ever sent; what shows the idle 12 s is the bridge seeing the
    # socket stay open on the wall clock, so this visit cannot be compressed into virtual time.
    real_time_only = True

    async def run(self, actor: Actor) -> None:
        await actor.wait(12_000)
