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
    # surveillance verbs with "we" as well as "I"
    "We noticed you were checking the financing calculator.",
    "We saw you comparing the Base and Adventure packages.",
    "I've noticed you're interested in the Adventure package.",
    "We can see you're weighing the two floor plans.",
    # time on the page, in digits or words
    "You've been on this page for three minutes.",
    "You have been here for a couple of minutes now.",
    "You've been reading about financing for 2 hours!",
    "Over the last five minutes you compared three models.",
    # visit counts
    "You have returned to the pricing section 3 times",
    "You've come back to the Adventure package twice.",
    "This is your third visit to the financing page.",
    "Welcome back! You've visited 4 times this week.",
    # exit intent, however it is worded
    "Leaving so soon? Here is 5% off.",
    "Before you go: we can hold it for 48 hours.",
    "Wait, don't leave yet!",
    # implying the watch
    "Still weighing it up? Happy to help.",
    "Sorry if something on the page isn't cooperating.",
    "Looks like you're comparing packages.",
    "You were checking the towing specs earlier.",
]
ACCEPTABLE = [
    "Choosing between these two can feel tough — want me to break down the key differences?",
    "Happy to walk you through what the Adventure package adds over the Base model.",
    "The 3650SUITE sleeps six and has three slide-outs. Want the full floor plan?",
    "If it helps, I can estimate a monthly payment with your down payment in mind.",
    "Would a quick walkthrough of the Arctic Wolf this weekend be useful?",
    "Plenty of owners ask about towing the 3650SUITE — want the numbers?",
    "We can hold the Arctic Wolf for you for 48 hours at no cost. Interested?",
    "I can get you a quote on the Arctic Wolf in a couple of minutes. Want one?",
    "We've served RVers for years, and owners rate our service highly.",
    "We have flexible terms, and I can show what fits comfortably.",
    "Want a one-minute summary of what really sets it apart?",
    "The Adventure package has twice the battery capacity of the Base.",
    "If you're weighing options, owners often tell us it wins on build quality.",
    "Most buyers end up deciding on two or three features.",
    "It's a big decision, and there's no rush.",
    "Big purchases deserve a second look. Want the highlights of the Arctic Wolf?",
    "Tell me what you need to know and I'll get it for you.",
]


@pytest.mark.parametrize("message", CREEPY)
def test_creepy_messages_are_rejected(message):
    assert violations(message), message


@pytest.mark.parametrize("message", ACCEPTABLE)
def test_helpful_messages_pass(message):
    assert violations(message) == [], message
