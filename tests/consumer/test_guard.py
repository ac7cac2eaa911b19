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
    # as a model writes them: typographic apostrophes, odd spaces, markdown, no subject
    "I\u2019ve noticed you comparing the two floor plans.",
    "We\u2019ve seen you check the financing page. Want a quote?",
    "I\u00a0noticed you were on the pricing section.",
    "I  *noticed* you were on the pricing section.",
    "Noticed you checking out the $59,995 price - want a breakdown?",
    # time on the page, leaving, and what the visitor did, said other ways
    "After 5 minutes on the pricing page, questions are natural!",
    "Spent a while on the financing section? I can help.",
    "Wait - are you leaving? Let me help first.",
    "Before you close this page, can I offer a discount?",
    "You keep going back to the financing section - want a quote?",
    "You paused on the $59,995 price for a bit. Want a breakdown?",
    "You copied the $59,995 price - want the monthly payment?",
    "You filled in half the form and stopped. Want help finishing it?",
    # the taxonomy's own labels, as a model that echoes its input writes them
    "Sounds like decision_paralysis; happy to help.",
    "Your price_sensitivity is understandable!",
    # observation implied by inference, time on a page without "for", returns and absences, other verbs
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
    # section 9.2 "proximity events": how near the visitor came to a button or a call to action
    "Your proximity to the Buy Now button tells me you're ready. Want a quote?",
    "You were near the Reserve button a long time. Want help deciding?",
    "You got really close to the Checkout button. Any questions?",
    "You've been right next to the Buy Now button. Ready?",
    "You kept circling the Reserve button. Want help?",
    "So close to the Buy Now button! Want a nudge?",
    "Our proximity events show interest in the Adventure tier.",
    "price_proximity_enter on the $59,995 price: want a breakdown?",
    # section 9.2 "exit intent", said with "exit"
    "Before you exit, can I offer you 5% off the Arctic Wolf?",
    "About to exit? We can hold the Arctic Wolf for 48 hours.",
    "Exiting so soon? Here's 5% off.",
    "Are you exiting? Here's a deal on the Arctic Wolf.",
    "Don't exit yet, there's a deal!",
    "If you exit this page you'll miss 5% off.",
    "Heading for the exit? Here's 5% off.",
    # mouse movements and click patterns, in other words
    "You moused over the $59,995 price twice. Want a breakdown?",
    "Mousing around the specs? Want a summary?",
    "Your mouseover on the price caught my eye.",
    "You pressed the Reserve button five times. It should work now.",
    "You pressed Reserve five times. It should work now.",
    "You kept hitting the Buy Now button. Is it stuck?",
    "You pushed the Submit button twice.",
    "Repeated presses on the Reserve button? Let me help.",
    # section 9.2 "or equivalent surveillance language": what the visitor did or is doing, told to them
    "You're comparing the Arctic Wolf and the Cougar. Want a side-by-side?",
    "You opened the financing calculator earlier. Want me to run the numbers?",
    "You visited the pricing page, so here is a quick summary.",
    "You checked the price of the Arctic Wolf. Want a breakdown?",
    "You viewed the 3650SUITE floor plan. Want the full specs?",
    "You read the reviews section. Any questions?",
    "You watched the walkthrough video halfway. Want the rest?",
    "You went through all three packages. Want a summary?",
    "You're reading about financing.",
    "Hi! You\u2019re comparing two great trims.",
    # dwell and time on the site, without a count
    "Taking your time with the floor plans? Want a summary?",
    "Lots of time on the financing section today. Want a quote?",
    "Your time on our site tells me you're serious. Want a quote?",
    "Spending a lot of time on pricing? Let me simplify it.",
    "Four minutes into your visit?",
    "Welcome to the pricing page for the fourth time!",
    # exit intent as a one-word question
    "Leaving? Here's 5% off the Arctic Wolf.",
    "Going already? Here's 5% off.",
    "Wait! One more thing before you leave us.",
    # scrolling and moving the mouse, in other words
    "Made it all the way to the bottom of the page? Want a summary?",
    "Moving between the two floor plans? Want a side-by-side?",
]
ACCEPTABLE = [
    "Are you going camping this summer? The 3650SUITE sleeps six.",
    "Owners who\u2019ve spent a while on the road love its *four-season* package.",
    "After a test drive, most owners ask about towing. Want the numbers?",
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
    # near misses of the inference, return and comparison patterns
    "Choosing between these two can feel tough — want me to break down the key differences?",  # section 9.2
    "If you're comparing trims, I can line up the specs side by side.",
    "I can get you a quote on the Arctic Wolf in a couple of minutes. Want one?",
    "The Arctic Wolf is ready to go for a test drive this weekend. Interested?",
    "Come back any time: we can hold the Arctic Wolf for 48 hours.",
    "Based on the specs, the 3650SUITE tows easily with a 3/4-ton truck.",
    "I can tell you what's included in the $59,995 price.",
    # near misses of the proximity, exit and click rules: places, features, roads, leases, invitations, idioms
    "Is there anything close to your budget?",
    "You're close to owning your first RV. Want a payment estimate?",
    "We have models near the $59,995 price, too.",
    "Is our Spokane store near you? Come see the Arctic Wolf.",
    "You'll find the Reserve button near the top of the listing.",
    "Our lot is in close proximity to I-90, so test drives are easy.",
    "The Arctic Wolf comes with rear proximity sensors and a backup camera.",
    "The Arctic Wolf has a keyless proximity entry system.",
    "It's right next to the 3650SUITE on our lot.",
    "The exit ramp to our lot is on Main St.",
    "Take exit 283 off I-90 and we're on the left.",
    "When you exit I-90 at 283, our lot is on the right.",
    "If you exit the interstate at Main St, we're two blocks down.",
    "The 3650SUITE has an emergency exit window in the bedroom.",
    "This model has two exits, front and rear.",
    "Ready to exit your current lease early? We can help.",
    "Exiting a lease early can cost more than it saves; want the numbers?",
    "Our exit survey says owners love it.",
    "Press the chat button any time and I'll answer.",
    "You can press the Reserve button to hold it for 48 hours.",
    "Just press the Buy Now button when you're ready.",
    "Pressed for time? I can send the highlights in one line.",
    "If you're pressed for time, I can send a quick summary.",
    "No pressure at all. Ask me anything.",
    "Hit the road this summer in the Arctic Wolf!",
    "If you hit the road often, the 3650SUITE's tanks are a big plus.",
    "You hit the nail on the head: the 3650SUITE is built for four seasons.",
    "We can push your delivery to next month.",
    "Once you select a trim, I can price it out.",
    "Want me to double check availability on the Arctic Wolf?",
    "It has a rapid charging port and a triple axle option.",
    "Go ahead and close the chat when you're done; we'll email the quote.",
    # near misses of what the visitor did, time on the site, leaving and moving between: a condition, a question,
    # a relative clause, an idiom, an invitation, a place on the page
    "When you're comparing trims, I can line up the specs.",
    "Whether you're comparing trims or ready to buy, just ask.",
    "Once you've viewed the floor plan, I can price it out.",
    "Have you visited our Spokane lot? The Arctic Wolf is on it.",
    "Everything you read here is backed by our warranty.",
    "You read that right: the Arctic Wolf is $59,995.",
    "You've got to see the 3650SUITE in person.",
    "Take your time with the floor plans; I'm here if anything comes up.",
    "Save a lot of time on the paperwork: I can prefill the credit form.",
    "Voted best RV dealer in Spokane for the fifth time.",
    "The trade-in form is at the bottom of the page.",
    "How's it going? Want a quote on the Arctic Wolf?",
    "The 2024 models are going fast this spring.",
    "Moving between campsites is easy with the Arctic Wolf's auto-leveling.",
    "A few minutes into your first trip, you'll love the auto-leveling.",
]


@pytest.mark.parametrize("message", CREEPY)
def test_creepy_messages_are_rejected(message):
    assert violations(message), message


@pytest.mark.parametrize("message", ACCEPTABLE)
def test_helpful_messages_pass(message):
    assert violations(message) == [], message


PERSONAL = {
    "Your IP address 198.51.100.44 was flagged; we can help.": ["IP address"],
    "Signed in from 2001:db8::7334? Happy to help.": ["IP address"],
    "Write to jo.smith@example.com for a quote.": ["email address"],
    "Call Dana on (509) 555-0142 or +44 20 7946 0958.": ["phone number"],
    "We have your card 4111 1111 1111 1111 on file.": ["card number"],
    "Is 123-45-6789 your SSN?": ["SSN"],
}


@pytest.mark.parametrize("message, kinds", PERSONAL.items())
def test_a_message_with_personal_data_is_refused_whoever_wrote_it(message, kinds):
    # an IP address (10.3) or a person's contact details, from the page through a template or from a model
    assert [v for v in violations(message) if v.startswith("personal data")] == [f"personal data: {k}"
                                                                                 for k in kinds]


def test_prices_model_years_and_specs_are_not_personal_data():
    message = "The 2024 3650SUITE is $59,995 or $1,299.00/mo at 5.49% APR; it tows 7,500 lbs and sleeps 6."
    assert violations(message) == []
