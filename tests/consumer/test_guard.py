"""Section 9.2: creepy messages are rejected, helpful ones pass."""

import pytest

from workbench.consumer.guard import violations

CREEPY = [
    "I noticed you were looking at the Adventure package!",
    "I see you hovering over the price.",
    "Your mouse has been on the financing section for a while.",
    "You've been scrolling back and forth a lot, need help?",
    "Before you leave — about to close the tab? Here's 5% off.",
    "Our exit-intent system flagged you, so here's a deal.",
    "You clicked Check Availability four times.",
    "You dwelled on the pricing for 3 minutes.",
    "You spent 45 seconds on the specs table.",
    "It looks like you're frustrated with the form.",
    "I detected some hesitation around the Buy button.",
    "We tracked your cursor to the Ultimate tier.",
    "Welcome back from the other tab!",
    "You seem confused by our pricing.",
]
ACCEPTABLE = [
    "Choosing between these two can feel tough — want me to break down the key differences?",
    "Happy to walk you through what the Adventure package adds over the Base model.",
    "The 3650SUITE sleeps six and has three slide-outs. Want the full floor plan?",
    "If it helps, I can estimate a monthly payment with your down payment in mind.",
    "Would a quick walkthrough of the Arctic Wolf this weekend be useful?",
    "Plenty of owners ask about towing the 3650SUITE — want the numbers?",
]


@pytest.mark.parametrize("message", CREEPY)
def test_creepy_messages_are_rejected(message):
    assert violations(message), message


@pytest.mark.parametrize("message", ACCEPTABLE)
def test_helpful_messages_pass(message):
    assert violations(message) == [], message
