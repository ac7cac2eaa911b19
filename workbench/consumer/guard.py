"""The anti-creepiness output guard: section 9.2, enforced on every message before it is shown.

The system prompt asks the model to imply understanding, not observation; this guard is
the second line. A message that mentions the mouse, the cursor, scrolling, clicks, dwell,
hovering, exit intent ("before you go", "leaving so soon?"), "I noticed" or "we saw you", time
on the page ("you've been here for three minutes", "three minutes on the pricing page?"), visit
counts ("your third visit"), returns and absences ("good to see you again", "while you were away"),
friction or hesitation it could only know by watching ("still weighing it up?", "isn't cooperating"),
an inference only watching could support ("I can tell you're torn", "based on your browsing", "our
analytics show you...", "since you're comparing"), what the visitor did or is doing told to them ("you
opened the financing calculator", "you're comparing the Arctic Wolf and the Cougar"; a condition, "if
you're comparing trims", is no report), time on the site without a count ("your time on our site",
"taking your time with the floor plans?"), leaving asked in a word ("Leaving?", "Going already?") or
any other sign of being watched is rejected
with the phrases that tripped it; the caller falls back to a template and logs it. So is a message
that names the emotion taxonomy's own labels ("decision_paralysis") or carries personal data: an IP
address (10.3), an email, a phone, card or SSN number, whether a model wrote it or a template took
it from the page.

A message is read as a person reads it: invisible characters (every format character, category Cf,
such as the soft hyphen U+00AD, the zero-width space and joiners, the word joiner U+2060 and the BOM,
and the other default-ignorable ones: the combining grapheme joiner U+034F, variation selectors, Hangul
fillers) as nothing, typographic apostrophes as ASCII ones, any run of whitespace as one space, markdown
emphasis and underscores as nothing and spaces ("I\u2019ve *noticed*" is "I've noticed",
"I no\u00adticed you ho\u2060vering" is "I noticed you hovering").
"""

from __future__ import annotations

import re
import unicodedata

from workbench.privacy import is_invisible, personal_data
from workbench.protocol.taxonomy import Emotion

# Pieces the patterns share: counts in digits or words ("for three minutes", "3 times"), ordinals,
# time units, the verbs of watching, and the auxiliaries before them ("we've noticed", "I can see").
_COUNT = (r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty"
          r"(?:-five)?|fifty|sixty|ninety|a few|a couple(?: of)?|several|a number of|many|multiple)")
_ORDINAL = r"(?:\d+(?:st|nd|rd|th)|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
_SHORT_UNIT = r"(?:seconds?|secs?|minutes?|mins?)"
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)"
_WATCH_VERBS = (r"(?:notic(?:e|ed|ing)|saw|seen|observ(?:e|ed|ing)|detect(?:ed|ing)?|spott(?:ed|ing)"
                r"|track(?:ed|ing)?|watch(?:ed|ing)?|caught|picked up on)")
_AUX = r"(?:'ve|'d| have| had| can| could| just| also)*"
_YOU_BEEN = r"\byou(?:'ve| have)(?: now| already)? been"
_LAST = r"(?:the (?:last|past) )?"
# What a page's proximity engine watches (section 3.5, appendix B: buy, checkout, subscribe, demo and
# sign-up buttons, tier cards, pricing and feature links, calls to action), as a message names it.
_ELEMENT = (r"(?:buttons?|btns?|links?|ctas?|calls? to action|tier cards?|plan cards?|pricing cards?|price tags?"
            r"|checkout|cart|icons?|banners?|widgets?|menus?|form fields?)")
_THE = r"(?:the|a|an|our|that|this|your)"
_ON_THE_ELEMENT = rf"{_THE} (?:[\w$,.'&-]+ ){{0,3}}?{_ELEMENT}\b"  # "the Reserve button", "the 'Buy Now' link"
# "you were near", "you got close to", "you've been right by" ... (not "you can", "you'll", "show you around")
_YOU_CAME = (r"\byou(?:'re| are| were|'ve been| have been| had been| got| came| moved| went| stayed| drifted"
             r"| kept| keep| hung| edged| inched| wandered)?(?: (?:right|so|very|really|pretty|quite|just|still|all))*")
# what a visitor's pressing is said with: "you pressed", "you've hit", "you kept pushing"
_YOU_DID = r"\byou(?:'ve| have| had| just| already| kept| keep| were| then| repeatedly|'re| are)*"
# "exit" the way a road or a lease uses it: "exit at 283", "exit I-90", "exit ramp", "exit 12", "exit the
# interstate", "exit your current lease"
_NOT_A_ROAD = (r"(?!\s+(?:at|onto|off|via|ramps?|lanes?|i-?\d|\d|(?:the|your|a|an|our|my) (?:[\w-]+ ){0,2}?"
               r"(?:highway|freeway|interstate|motorway|turnpike|expressway|parkway|ramp|road|lot|showroom|dealership"
               r"|parking|garage|lease|loan|contract|deal|vehicle|rv|camper|trailer|truck|car)s?\b))")
# Where a clause opens with "you": the message's start, after a stop, a comma, a dash or a joining word ("...,
# you opened", "and you visited", "since you checked"). Not after "if", "when", "once", "whether" ("If you're
# comparing trims, ...", "Once you've viewed the floor plan, ...": a condition, not a report), nor in a question
# ("Have you visited our lot?") or a relative clause ("everything you read here").
_CLAUSE_YOU = r"(?:(?:^|[.!?;:,\u2013\u2014]|\s-)\s*|\b(?:and|so|but|then|since|because|now that) )you"
_ADVERBS = (r"(?: (?:just|already|recently|earlier|also|then|first|now|still|currently|clearly|obviously|probably"
            r"|really))*")
# what a page's telemetry records a visitor doing, said of them as done ("you opened the financing calculator")
_DONE = (r"(?:opened|visited|checked|viewed|watched|browsed|compared|explored|studied|reviewed|examined|toured|skimmed"
         r"|downloaded|played|searched|scrolled|clicked|tapped|hovered|switched|flipped|selected|configured"
         r"|customi[sz]ed|started|saw|seen|read(?! (?:that|it|this) (?:right|correctly))|went (?:through|over|to|back)"
         r"|looked (?:at|over|through|into)|landed on|pulled up|brought up|came across|made it (?:to|through|down|all)"
         r"|reached(?! out)|priced out)")
# ... and as being done now ("you're comparing the Arctic Wolf and the Cougar", "you're reading about financing")
_DOING = (r"(?:comparing|checking|reading|reviewing|studying|examining|eyeing|considering|researching|exploring"
          r"|weighing|viewing|browsing|watching|scrolling|clicking|hovering|lingering|debating|toggling|switching|flipping"
          r"|going (?:through|over|back)|focusing on|zeroing in)")
# the parts of a listing a visitor's time is spent on ("your time on our site", "lots of time on the financing
# section")
_PAGE_PART = (r"(?:pages?|site|website|sections?|listings?|tabs?|calculator|specs|spec sheet|forms?|floor ?plans?"
              r"|pricing|prices|financing|gallery|photos|videos?|reviews|comparison|checkout|cart|walkthrough)")

# Each pattern names a way of revealing telemetry to the user. Word boundaries keep
# "scrolling banner" out of trouble only where the word itself is the tell. The project's own
# templates (workbench.consumer.templates) must all pass: a test renders every one.
SURVEILLANCE_PATTERNS: dict[str, str] = {
    "mouse": r"\bmouse\b|\bmice\b|\bmous(?:ed|es|ing)\b|\bmouseovers?\b",
    "cursor": r"\bcursors?\b|\bpointer\b",
    "scrolling": (r"\bscroll(?:s|ed|ing)?\b"
                  # how far down the page the visitor got ("made it all the way to the bottom of the page?"), not
                  # where something is ("the form is at the bottom of the page")
                  r"|\b(?:made it|all the way|reached|reaching|got|gotten)\b[^.!?]{0,20}?\b(?:bottom|end) of "
                  r"(?:the|this|our) (?:page|listing|site|specs|list|reviews|gallery)\b"),
    "clicks": (r"\bclick(?:s|ed|ing)?\b|\btap(?:s|ped|ping)\b"
               # what the visitor pressed ("you pressed the Reserve button", "you kept hitting Buy five times"),
               # not an invitation or an idiom ("press the chat button any time", "pressed for time?",
               # "if you hit the road this summer", "if you hit the Reserve button, we hold it")
               rf"|{_YOU_DID} (?:pressed|pressing|pushed|pushing|hitting|mashed|mashing|jabbed|jabbing|smashed"
               rf"|smashing|punched|punching|toggled|toggling)(?: on)? {_ON_THE_ELEMENT}"
               rf"|{_YOU_DID} (?:press(?:ed|ing)?|push(?:ed|ing)?|hit(?:ting)?|mash(?:ed|ing)?|jabb(?:ed|ing)"
               r"|smash(?:ed|ing)|punch(?:ed|ing)|toggl(?:ed|ing))\b(?! the (?:road|trails?|lake|beach)\b)"
               rf"[^.!?]{{0,60}}?\b(?:{_COUNT} times|twice|again and again|over and over)\b"
               r"|\b(?:repeated(?:ly)?|rapid|rage|double|triple) (?:press(?:ed|es|ing)?|push(?:ed|es|ing)?"
               r"|hit(?:s|ting)?|tap(?:s|ped|ping)?)\b|\bbutton[- ]mash(?:ing|ed)?\b"),
    "dwell": r"\bdwell(?:s|ed|ing)?\b|\blinger(?:s|ed|ing)?\b",
    "hovering": r"\bhover(?:s|ed|ing)?\b",
    # section 9.2: "must not reference ... proximity events": how near the visitor came to a button or a
    # call to action ("your proximity to the Buy Now button", "you were near the Reserve button");
    # not a place ("close to your budget", "our lot's proximity to I-90") nor a feature ("proximity sensors")
    "proximity": (rf"\byour proximity\b|\bproximity (?:to|of) {_ON_THE_ELEMENT}"
                  r"|\bproximity (?:events?|zones?|radius|data|signals?|tracking|engine|alerts?)\b"
                  r"|\bproximity (?:enter|leave)\b"  # an event name, read: "price proximity enter"
                  rf"|{_YOU_CAME} (?:near|nearer|close to|closer to|next to|right by|up to) {_ON_THE_ELEMENT}"
                  r"|\byou(?:'re| are| were|'ve| have| had| kept| keep)? (?:approach(?:ed|ing)|near(?:ed|ing)"
                  r"|circl(?:ed|ing)(?: around)?|(?:edg|inch)(?:ed|ing) (?:toward|towards|up to|closer to))"
                  rf" {_ON_THE_ELEMENT}"
                  rf"|\b(?:so|this|that|very|really) close to (?:clicking|pressing|hitting|tapping|{_ON_THE_ELEMENT})"),
    "exit intent": (r"\bexit[- ]intent\b|\babout to (?:leave|go|close)\b|\b(?:trying|going) to leave\b"
                    r"|\bleaving (?:so soon|already|us|now)\b|\bon your way out\b|\bheading (?:out|off)\b"
                    r"|\b(?:don'?t|do not) (?:go|leave)\b|\bbefore you (?:go|leave|head (?:off|out)|take off)\b"
                    r"(?!\s+(?:ahead|for|with|through|over|to)\b)"
                    r"|\bare you (?:leaving|going (?:already|so soon|away|now)|heading (?:off|out))\b"
                    r"|\bbefore you close\b|\bready to leave\b"
                    r"|\bclos(?:e|ing) (?:this|the|your) (?:page|tab|window)\b"
                    # section 9.2 says "exit intent", and a model says "exit": "before you exit", "about to
                    # exit?", "exiting so soon?", not "take exit 12", "the exit ramp", "exit your lease early"
                    rf"|\b(?:before|as|when|if|once) you(?:'re| are)? exit(?:ing)?\b{_NOT_A_ROAD}"
                    rf"|\b(?:about|trying|going|ready|fixing) to exit\b{_NOT_A_ROAD}"
                    rf"|\b(?:don'?t|do not|no need to) exit\b{_NOT_A_ROAD}"
                    rf"|\bare you (?:exiting|bailing|bouncing)\b{_NOT_A_ROAD}"
                    r"|\bexiting (?:so soon|already|now|us|early|out)\b"
                    r"|\bexit(?:s|ed|ing)? (?:this|the|your|our) (?:page|site|website|tab|window|browser|listing)\b"
                    r"|\b(?:heading|headed|making|on your way) (?:for|to|towards?) the (?:exit|door)s?\b"
                    r"(?!\s+(?:ramp|lane|\d))|\bout the door already\b"
                    r"|\b(?:about|trying|going) to (?:bail|bounce|navigate away)\b"
                    r"|\bbefore you (?:bail|bounce|navigate away)\b"
                    # asked of the visitor as a question of its own ("Leaving? Here's 5% off", "Wait - going?"),
                    # or with "already" ("Going already?"); not "How's it going?", "going fast"
                    r"|(?:^|[.!?;:,\u2013\u2014]|\s-)\s*(?:leaving|going|exiting|off|heading (?:out|off)|taking off"
                    r"|bailing|bouncing)(?: (?:already|so soon|now|on us))*\s*\?"
                    r"|\b(?:going|heading (?:out|off)|taking off|off|bailing|bouncing) (?:already|so soon)\b"),
    "noticed": (rf"\bi{_AUX} (?:noticed|noticing|see|saw|observed|detected|spotted|tracked|watched)\b"
                r"|(?:^|[.!?:;\-] )(?:noticed|saw|spotted|seeing|noticing) (?:that )?you\b"),
    "watched you": (rf"\b(?:i|we){_AUX} (?:{_WATCH_VERBS}(?: that)? (?:you|your)\b"
                    r"|see(?: that)? (?:you(?:'re| are| were|'ve| have)|your)\b)"),
    "you were looking": (r"\byou(?:'ve| have| were|'re| are)? (?:been )?"
                         r"(?:looking|staring|viewing|browsing|spending|spent)\b"),
    "you were checking": (r"\byou(?: were|'ve been| have been| had been) (?:checking|comparing|reading|reviewing"
                          r"|studying|examining|eyeing|considering|researching|exploring|weighing|going through"
                          r"|flipping through|trying)\b"),
    "time on page": (rf"\b(?:for|over|after) {_LAST}(?!a |an ){_COUNT}\s*{_SHORT_UNIT}\b|\btime on (?:the )?page\b"
                     rf"|\b{_COUNT}\s*{_UNIT} (?:on|in|at|with) (?:this|the|our|that) (?:[\w-]+ ){{0,2}}"
                     r"(?:page|site|section|listing|tab|calculator|specs|form)\b"
                     r"|\bspent (?:a (?:while|bit|long time)|some time|ages) (?:here|on (?:this|the|our) "
                     r"(?:\w+ )?(?:page|site|section|listing|tab))\b"
                     # time spent on a part of the page, said without a count ("your time on our site tells me",
                     # "lots of time on the financing section", "taking your time with the floor plans?"); not the
                     # time a visitor may take or save ("take your time with the floor plans", "save a lot of time
                     # on the form")
                     r"|(?<!\btake )(?<!\bsave )(?<!\bsaves )(?<!\bsaving )\b(?:your|lots of|a lot of|so much|plenty of"
                     r"|a long|quite some|quite a bit of|a good bit of) time(?: spent)? (?:on|in|with|at|over) "
                     rf"(?:(?:this|the|our|that|these|those|your) )?(?:[\w$,.'&-]+ ){{0,2}}?{_PAGE_PART}\b"
                     r"|\btaking (?:your|a lot of|lots of|so much|some) time\s*\?"
                     # how far into the visit ("four minutes into your visit?")
                     rf"|\b{_COUNT}\s*{_UNIT} into (?:your|the|this) (?:visit|session|browsing|search|research)\b"),
    "been here a while": (rf"{_YOU_BEEN} (?:here|on (?:this|the|our) (?:page|site|section))\b"
                          rf"|{_YOU_BEEN}\b[^.!?]{{0,60}}?\b(?:for|over) {_LAST}"
                          rf"(?:about |almost |nearly |over |more than )?"
                          rf"(?:{_COUNT}\s*{_UNIT}|a (?:while|bit|long time)|some time|ages)\b"),
    "visit counts": (r"\b(?:return(?:ed|ing)?|c[oa]me back|coming back|been back|went back|gone back"
                     r"|(?:re)?visit(?:ed|ing)?|viewed|opened|checked(?: out)?|looked at)\b[^.!?]{0,60}?"
                     rf"\b(?:{_COUNT} times|twice)\b"
                     rf"|\b(?:your|the) {_ORDINAL} (?:visit|time (?:here|back|on|looking|today|this))\b"
                     r"|\b(?:\d+|two|three|four|five|several|multiple|many) visits\b|\bwelcome back\b"
                     # "welcome to the pricing page for the fourth time!"; not "voted best dealer for the fifth time"
                     r"|\b(?:pages?|sections?|site|listing|calculator|tab|here|back|again|visit(?:ing)?|looking|checking"
                     rf"|viewing|reading)\b[^.!?]{{0,40}}?\bfor the {_ORDINAL} time\b"
                     rf"|\bfor the {_ORDINAL} time (?:today|this (?:week|month|morning|afternoon|evening|hour"
                     r"|session))\b"),
    "returns": (r"\bwhile you were (?:away|gone|out)\b|\b(?:good|nice|great) to (?:see|have) you (?:again|back)\b"
                r"|\byou(?:'re| are) back\b|\byou(?:'ve| have)? (?:came|come) back\b|\byou returned\b"
                r"|\bback (?:on|at|to|in) (?:the|this|our) [^.!?]{0,30}?\bagain\b"),
    "still here": (r"\bstill (?:weighing|deciding|looking|thinking|comparing|browsing|considering|shopping|reading"
                   r"|here|there|on the fence|with us|around|undecided|unsure)\b"),
    "seeming": (r"\b(?:looks|seems|sounds|appears) (?:like|as if|as though) you\b|\byou (?:seem|appear)(?:ed)?\b"
                r"|\b(?:appears|seems) (?:that )?you\b"),
    "inferred from activity": (r"\bi (?:can|could) tell (?:that )?(?:you(?:'re| are| were|'ve| have| might| may| like"
                               r"| want| need)|your)\b|\bi (?:sense|get the sense|gather)\b|\bjudging (?:by|from)\b"
                               r"|\bbased on (?:your (?:activity|browsing|visit|session|behaviou?r|history|interest)"
                               r"|what you(?:'ve| have)? (?:viewed|looked at|seen|read|browsed|checked))\b"
                               r"|\byour (?:activity|browsing|clickstream)\b"
                               r"|\bour (?:system|analytics|data|records|tools?)\b[^.!?]{0,30}?"
                               r"\b(?:shows?|flagged|suggests?|indicates?|tells? (?:us|me))\b[^.!?]{0,20}?\byou"),
    "since you're": (r"\b(?:since|now that|because) you(?:'re| are| were|'ve been| have been) (?:comparing|weighing"
                     r"|checking|looking|reading|browsing|considering|deciding|exploring|researching|viewing|eyeing"
                     r"|interested)\b"),
    "what you did": (r"\byou(?:'ve| have| had| just)? (?:paused|stopped|hesitated|lingered|copied|selected|highlighted"
                     r"|filled|typed|abandoned|zoomed|read through|moved between)\b"
                     r"|\byou keep (?:going|coming|returning|looking|checking|clicking|scrolling)\b"
                     # section 9.2 "or equivalent surveillance language": a statement of what the visitor did or is
                     # doing on the site ("You opened the financing calculator earlier", "You're comparing the Arctic
                     # Wolf and the Cougar"), not a condition ("If you're comparing trims, ...")
                     rf"|{_CLAUSE_YOU}(?:'ve| have| had)?{_ADVERBS} {_DONE}\b"
                     rf"|{_CLAUSE_YOU}(?:'re| are){_ADVERBS} {_DOING}\b"),
    "friction": (r"\b(?:isn'?t|is not|wasn'?t|was not|not) (?:cooperating|responding)\b"
                 r"|\bhaving (?:some )?(?:trouble|difficulty|difficulties|a hard time|problems|issues)\b"),
    "tracking": r"\btrack(?:s|ed|ing)?\b|\bmonitor(?:s|ed|ing)?\b|\btelemetry\b|\bbehaviou?r(?:al)?\b",
    "back and forth": (r"\bback and forth\b|\bgoing between\b|\bswitching (?:tabs|between)\b"
                       # "moving between the two floor plans?"; not "moving between campsites is easy"
                       r"|\b(?:moving|flipping|jumping|bouncing|toggling|alternating|hopping) between "
                       r"(?:(?:the|these|those|our|two|both|a few|several) )*(?:[\w-]+ ){0,2}?"
                       r"(?:options|models|trims|packages|floor ?plans"
                       r"|pages|tabs|listings|prices|units|layouts|choices|tiers|plans|versions|them|sections)\b"),
    "tabs": r"\b(?:other|another|new) tabs?\b|\bswitched tabs\b",
    "emotion labels": (r"\b(?:frustrat(?:ed|ion)|confus(?:ed|ion)|paralys(?:is|ed)|hesita(?:nt|tion)"
                       r"|overwhelm(?:ed)?|anxious|anxiety)\b"),
}
_COMPILED = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in SURVEILLANCE_PATTERNS.items()}
_LABELS = re.compile("|".join(rf"\b{e.value}\b" for e in Emotion if "_" in e.value), re.IGNORECASE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'"})
_EMPHASIS = re.compile(r"[*_`~]+")
# What a reader does not see (privacy.is_invisible, one definition for the guard and the redaction): every format
# character (Cf) and the other default-ignorable code points (the combining grapheme joiner, Hangul fillers, Khmer
# inherent vowels, Mongolian free variation selectors, variation selectors, tags); and the C1 controls, which a
# page's text may carry into a template (U+0085, a line break, reads as a space). None may split a word the guard
# looks for.


def visible(message: str) -> str:
    """The message without the characters a reader does not see (:func:`is_invisible`)."""
    return "".join(c for c in message if not is_invisible(c))


def as_read(message: str) -> str:
    """The message as a person reads it (see the module docstring)."""
    text = visible(unicodedata.normalize("NFKC", visible(message))).translate(_APOSTROPHES)
    return " ".join(_EMPHASIS.sub(" ", text).split())


def violations(message: str) -> list[str]:
    """The rule names the message breaks; empty when it reads as understanding, not observation."""
    read, shown = as_read(message), visible(message)
    found = [name for name, pattern in _COMPILED.items() if pattern.search(read)]
    if _LABELS.search(shown) and "emotion labels" not in found:
        found.append("emotion labels")
    # personal_data reads the message as a person does itself (invisible characters dropped), and tries it as
    # written too: a number whose boundary was an invisible character
    return found + [f"personal data: {kind}" for kind in personal_data(message)]


def is_acceptable(message: str) -> bool:
    return not violations(message)
