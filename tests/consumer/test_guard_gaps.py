"""Section 9.2 phrasings an LLM writes that the guard let through: observation implied by inference
("I can tell", "based on your browsing"), time on a page without "for", returns and absences, and what the
visitor did said with other verbs. The section 9.2 example and the project's templates still pass."""

import pytest

from workbench.consumer import templates
from workbench.consumer.guard import violations

CREEPY = [
    "I can tell you're torn between the two floor plans. Want a side-by-side?",
    "I sense some indecision. Want help choosing?",
    "Judging by your activity, you like the 3650SUITE.",
    "Based on your browsing, the 3650SUITE might fit.",
    "Based on what you've viewed, the 3650SUITE might fit.",
    "Our analytics show you're interested in financing.",
    "Our system flagged that you might need help.",
    "Three minutes on the pricing page? Let me make it simple.",
    "3 minutes on the financing calculator already? I can run numbers for you.",
    "While you were away, we updated the price on the Arctic Wolf.",
    "Good to see you again! Any questions about the Arctic Wolf?",
    "Nice to have you back. Want the highlights of the Arctic Wolf?",
    "You came back to pricing again. Need help?",
    "Back on the pricing page again? Let me help.",
    "You zoomed in on the floor plan. Want the full specs?",
    "You've stopped on the price for a while.",
    "You've read through the specs, so want a quick summary?",
    "Since you're comparing the two trims, want a side-by-side?",
    "It appears you're interested in financing.",
    "Not ready to leave yet? Here's 5% off.",
]
ACCEPTABLE = [
    "Choosing between these two can feel tough — want me to break down the key differences?",  # section 9.2
    "If you're comparing trims, I can line up the specs side by side.",
    "I can get you a quote on the Arctic Wolf in a couple of minutes. Want one?",
    "The Arctic Wolf is ready to go for a test drive this weekend. Interested?",
    "Come back any time: we can hold the Arctic Wolf for 48 hours.",
    "Based on the specs, the 3650SUITE tows easily with a 3/4-ton truck.",
    "I can tell you what's included in the $59,995 price.",
]


@pytest.mark.parametrize("message", CREEPY)
def test_observation_said_other_ways_is_rejected(message):
    assert violations(message), message


@pytest.mark.parametrize("message", ACCEPTABLE)
def test_understanding_still_passes(message):
    assert violations(message) == [], message


def test_every_template_still_passes():
    for (_, section, _), lines in templates.TEMPLATES.items():
        for line in lines:
            text = line.format(product="Arctic Wolf 3650SUITE", price="$59,995", topic=section)
            assert violations(text) == [], text
