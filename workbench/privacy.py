"""Personal data in text the workbench itself writes or forwards (EITP v1.1 section 10).

The producer redacts PII in the page (its own patterns in JavaScript, then the 3.9 ones as the spec
writes them, without word boundaries: :data:`SPEC_TEXT`). Three edges of the
Python side do not trust that it did: the bridge removes a client's address from page content and
events (10.3); Seer's guard refuses a message that carries an address or a person's contact
details, whatever wrote it (a template filled from page content, or a model); and every prompt sent
to the Messages API carries the packet's text :func:`redacted` (10.1; :func:`workbench.llm.prompt.packet_context`).
Text is matched as a person reads it (:func:`readable`): personal data split by a character nobody sees
("555\u200b-867-5309", "4111\u00ad1111 1111 1111") or written in other digits or forms ("\uff15\uff10\uff19-...",
"john\uff20example.com", "509\u2011555\u20110142") is found as the same data in ASCII; the producer reads text
so too (``sites/producer/eitp-producer.js``, ``readable``).
Pure: patterns and functions over strings.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_HEX = r"[0-9A-Fa-f]{1,4}"
#: the producer's address patterns, applied in turn: IPv4 (not a URL's host: a server's), IPv6 with
#: "::" (after IPv4, so "::ffff:203.0.113.7" loses both parts), IPv6 in full (8 groups)
IP_TEXT = (re.compile(r"(?<![A-Za-z0-9.])(?<!//)(?:\d{1,3}\.){3}\d{1,3}\b(?!\.\d)"),
           re.compile(rf"\b{_HEX}(?::{_HEX}){{0,6}}::(?:{_HEX}(?::{_HEX}){{0,6}}\b)?|::{_HEX}(?::{_HEX}){{0,6}}\b"),
           re.compile(rf"\b{_HEX}(?::{_HEX}){{7}}\b"))
# a character of an email address's local part or domain
_EMAIL_CHAR = r"[^\s@<>()\[\]{},;:\"'\\/?#&=]"
#: a person's contact or identity numbers and address, as the producer's patterns find them (3.9 and its own; keep
#: the two in step: ``sites/producer/eitp-producer.js``, ``PII_PATTERNS``), in text as it is read (:func:`readable`)
PERSONAL_TEXT = {
    "email address": re.compile(rf"{_EMAIL_CHAR}+@{_EMAIL_CHAR}+\.[^\W\d_]{{2,}}"),
    "card number": re.compile(r"\b(?:\d{4}[\s-]?){3}\d{4}\b|\b3[47]\d{2}[\s-]?\d{6}[\s-]?\d{5}\b"
                              r"|(?<![\w.])\d{4}\.\d{4}\.\d{4}\.\d{4}(?!\w|\.\d)"),  # 4111.1111.1111.1111
    "SSN": re.compile(r"(?<![\w.])\d{3}[-.\s]\d{2}[-.\s]\d{4}(?!\w)|(?<![\w.$])\d{9}(?![\w.])"),
    "phone number": re.compile(r"\+\d{1,3}(?:[\s.-]\(?\d{1,4}\)?|\(\d{1,4}\)){2,5}(?![\d%])|\+\d{8,15}\b"
                               r"|(?<![\w.+$])\(?\d{3}\)?[-.\s/]{0,2}\d{3}[-.\s]?\d{4}(?!\w)"
                               # +44 (0)20 7946 0958 (the trunk 0), +49 30 12345678 (a long last group)
                               r"|\+\d{1,3}(?:\s?\(0\)\s?\d{1,4}(?:[\s.-]\d{1,8}){1,4}"
                               r"|(?:[\s.-]\(?\d{1,4}\)?|\(\d{1,4}\)){1,4}[\s.-]\d{1,8})(?![\d%])"
                               # national, led by its trunk 0, 10 or 11 digits: 020 7946 0958, 0161 496 0000
                               r"|(?<![\w.+$,/])(?<!\d[\s.,])(?:(?:\(0[1-9]\d\)\s?|0[1-9]\d[\s.-])(?:\d{4}[\s.-]\d{4}|\d{7,8})"
                               r"|(?:\(0[1-9]\d{2}\)\s?|0[1-9]\d{2}[\s.-])(?:\d{3}[\s.-]\d{4}|\d{6,7}))(?![\w%]|[.,]\d)"),
    # 3.9's zip only as ZIP+4 ("97201-1234"), which narrows an address to a building and is no price, year or
    # model number; a 5-digit one alone names a town, not a person, and is what a price ("$29995"), a mileage
    # or a stock number looks like, so the producer's 3.9 zip pattern redacts it and this side does not
    "zip code": re.compile(r"(?<![\w.$,-])\d{5}-\d{4}(?![\w-]|[.,]\d)"),
    # a street address ("42 Elm Street", "1600 Pennsylvania Ave NW"), as the producer finds one: a house
    # number, 1-4 capitalised words and a street type; not dealer copy that counts something first ("4 Wheel
    # Drive", "30 Minute Test Drive", "5 Star Way"), names a "Wheel Drive" or "Test Drive" ("2024 Subaru Outback
    # All Wheel Drive", "1 Free Test Drive") or goes on past the street type ("Road Test"); a street with such a
    # word inside its name ("45 Lone Star Drive", "800 Harbor Point Drive") is an address
    "street address": re.compile(
        r"\b\d{1,6}[A-Z]?(?! (?:Wheel|Minute|Hour|Day|Week|Month|Year|Mile|Star|Owner|Down|Door|Seat|Person|Passenger"
        r"|Speed|Point|Step|Cylinder|Valve|Bunk|Slide|Foot|Inch|Gallon|Liter|Ton|Axle|Season|Time)s?\b)"
        r"(?: [A-Z][a-z]+){1,4}(?<! Wheel)(?<! Test) (?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln"
        r"|Court|Ct|Place|Pl|Terrace|Circle|Way|Parkway|Pkwy)\b(?! (?:Hazard|Test|Trip|Away|Assist|Mode|Package|Train"
        r"|Kit)\b)\.?"
        r"(?: [NS][EW]?\b| [EW]\b)?", re.ASCII),
}

#: the section 3.9 card, SSN and phone patterns as the spec writes them, without word boundaries, which the
#: producer applies after its own (``sites/producer/eitp-producer.js``, ``PII_PATTERNS``, "// 3.9"): a number
#: glued to a word ("SSN123-45-6789", "CC4111111111111111", "Tel5095550142") is personal data all the same.
#: Applied after :data:`PERSONAL_TEXT`, to what those left, so a number they find is named and redacted as they
#: find it. A long run of digits that is no such number (a 10-digit stock number) goes too: a prompt loses
#: little, and a dealer's prices and model numbers ("$59,995", "3650SUITE") are far shorter.
SPEC_TEXT = {
    "card number": re.compile(r"(?:\d{4}[\s-]?){3}\d{4}"),
    "SSN": re.compile(r"\d{3}-\d{2}-\d{4}"),
    "phone number": re.compile(r"\(\d{3}\)\s?\d{3}[-.\s]?\d{4}|\d{3}[-.]?\d{3}[-.]?\d{4}"),
}


# Characters nobody sees, besides the format characters (category Cf: the soft hyphen U+00AD, U+200B-U+200F,
# the bidi controls U+202A-U+202E and U+2066-U+2069, the word joiner U+2060, the BOM U+FEFF, ...): the other
# default-ignorable ones (the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian free
# variation selectors, variation selectors, tags) and the C1 controls but U+0085, a line break
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
                        "\U000e0000-\U000e0fff\x80-\x84\x86-\x9f]")
# a hyphen a reader takes for "-": hyphen, non-breaking hyphen, figure dash, en dash, minus sign
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2212", "-"))
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_DIGIT = re.compile("[0-9]")


def is_invisible(char: str) -> bool:
    """Whether ``char`` is drawn as nothing: a format character (category Cf: U+00AD soft hyphen,
    U+200B-U+200F, U+2060 word joiner, U+FEFF...) or another default-ignorable one (U+034F...)."""
    return unicodedata.category(char) == "Cf" or _IGNORABLE.match(char) is not None


@functools.lru_cache(maxsize=4096)
def _read_char(char: str) -> str:
    if char == "\x85":  # a line break
        return " "
    if is_invisible(char):
        return ""
    if char.isdecimal():  # a decimal digit (Nd): fullwidth, Arabic-Indic, Devanagari, mathematical...
        return str(unicodedata.decimal(char))
    nfkc = unicodedata.normalize("NFKC", char).translate(_DASHES)
    return char if _ASCII_DIGIT.search(nfkc) else nfkc  # not a superscript: "2024\u00b9" is a year, footnoted


def _read(match: re.Match[str]) -> str:
    return _read_char(match.group())


def readable(text: str) -> str:
    """``text`` as its personal data is read: without invisible characters (:func:`is_invisible`), any decimal
    digit as its ASCII one (fullwidth, Arabic-Indic, Devanagari...), a hyphen, non-breaking hyphen, figure or en
    dash or minus sign as "-", each other non-ASCII character in its NFKC form ("\uff20" and "\uff0e" are "@" and
    ".", a no-break space a space) unless that holds a digit (a superscript, circled or fraction digit stays as
    it is). ASCII text is itself. The producer reads text so (``sites/producer/eitp-producer.js``, ``readable``)."""
    return text if text.isascii() else _NON_ASCII.sub(_read, text)


def without_ips(text: str) -> str:
    """``text`` with every IP address in it replaced by ``[REDACTED]``."""
    for pattern in IP_TEXT:
        text = pattern.sub("[REDACTED]", text)
    return text


# the email pattern's matches, found in linear time: searched as it is, it tries every character of a long
# word as the start of an address (quadratic: ~9 s for a 50 kB word); a match can only start where a run of
# its characters starts, since a longer local part before it would match as well, and be found first
_REDACTING = [re.compile(rf"(?<!{_EMAIL_CHAR})" + pattern.pattern) if kind == "email address" else pattern
              for kind, pattern in PERSONAL_TEXT.items()]


def _without_personal_text(text: str) -> str:
    """``text`` with every IP address and every match of :data:`PERSONAL_TEXT` replaced by ``[REDACTED]``."""
    text = without_ips(text)
    for pattern in _REDACTING:
        text = pattern.sub("[REDACTED]", text)
    return text


def _redacted(text: str) -> str:
    """``text`` with every IP address, every match of :data:`PERSONAL_TEXT` and then of :data:`SPEC_TEXT`
    replaced by ``[REDACTED]``, as it is written."""
    text = _without_personal_text(text)
    for pattern in SPEC_TEXT.values():
        text = pattern.sub("[REDACTED]", text)
    return text


def redacted(text: str) -> str:
    """``text`` with every IP address, every match of :data:`PERSONAL_TEXT` and then of :data:`SPEC_TEXT`
    replaced by ``[REDACTED]``, in time linear in its length: what a prompt carries of the page (section 10.1,
    whatever the producer did). Matched as it is read (:func:`readable`), so what an invisible character splits
    is found whole, and sent as it is written, redacted as written, when that reads the same (or when nothing
    is found as read); else as read (without its invisible characters), redacted."""
    read = readable(text)
    shown = _redacted(read)
    if read == text:
        return shown
    written = _redacted(text)
    return written if shown == read or readable(written) == shown else shown


def _kinds(text: str) -> list[str]:
    found = ["IP address"] if any(p.search(text) for p in IP_TEXT) else []
    found += [kind for kind, pattern in zip(PERSONAL_TEXT, _REDACTING, strict=True) if pattern.search(text)]
    rest = _without_personal_text(text)
    for kind, pattern in SPEC_TEXT.items():  # in turn, as redacted() applies them
        if pattern.search(rest):
            found += [] if kind in found else [kind]
            rest = pattern.sub("[REDACTED]", rest)
    return found


def personal_data(text: str) -> list[str]:
    """What kinds of personal data ``text`` holds, read as :func:`redacted` reads it: "IP address", "email
    address", ... (empty: none). A kind :data:`SPEC_TEXT` finds in what :data:`PERSONAL_TEXT` left (a number
    glued to a word) is named once."""
    read = readable(text)
    return _kinds(read) or (_kinds(text) if read != text else [])


def shown_url(url: str) -> str:
    """``url`` as it may be stored, reported, logged and printed: without the user and password before its
    host or the values of its query (a hosted browser's ``?token=``, a NATS server's ``nats://user:pass@``),
    which are secrets."""
    parts = urlsplit(url)
    query = urlencode([(key, "[REDACTED]") for key, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="[]")
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, query, ""))
