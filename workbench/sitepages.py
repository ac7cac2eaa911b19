"""Expands the server-side includes of a dealer site page (``sites/<site>/index.html``).

The markup every site shares, whose ids and classes the personas, the producer and the tests
depend on (nav, hero buttons, online desk, lead form, price alerts, chat widget, script tags), is
written once as a partial, ``sites/common/partials/NAME.html``. A page includes one with a comment
alone on its line, ``<!--#include partial="NAME" key="value" ... -->``; each ``key="value"`` fills
the partial's ``{{key}}`` placeholders (the value is HTML as written, with ``&quot;`` for a double
quote, and is not expanded again), every line of the partial is indented like the comment, and
partials do not nest. :func:`render` raises :class:`~workbench.errors.SitePageError` for an
unknown partial, a placeholder with no value, a value no placeholder uses, or an include comment
of any other form. The module only reads files; callers serve or cache the text (see
:func:`stamp`).
"""

from __future__ import annotations

import re
from pathlib import Path

from workbench.errors import SitePageError

MARK = "<!--#include"
INCLUDE = re.compile(r'(?P<indent>[ \t]*)<!--#include partial="(?P<name>[\w-]+)"(?P<args>(?: \w+="[^"]*")*) -->')
ARG = re.compile(r'(\w+)="([^"]*)"')
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def partials_dir(page: Path) -> Path:
    """``sites/common/partials`` for the page ``sites/<site>/index.html``."""
    return page.parent.parent / "common" / "partials"


def stamp(page: Path) -> tuple[int, ...]:
    """The modification times of the page and of every partial: changes whenever :func:`render`'s text can."""
    return tuple(p.stat().st_mtime_ns for p in (page, *sorted(partials_dir(page).glob("*.html"))))


def render(page: Path) -> str:
    """The page's text with every include comment replaced by its partial, filled in and indented."""
    partials = {p.stem: p for p in partials_dir(page).glob("*.html")}
    out = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(keepends=True), 1):
        if MARK not in line:
            out.append(line)
            continue
        where = f"{page}:{number}"
        body = line.rstrip("\r\n")
        if not (match := INCLUDE.fullmatch(body)):
            raise SitePageError(f'{where}: an include is one line, <!--#include partial="NAME" key="value" -->')
        out.append(_expand(partials, match, where) + line[len(body):])
    return "".join(out)


def _expand(partials: dict[str, Path], match: re.Match[str], where: str) -> str:
    name, indent = match["name"], match["indent"]
    if name not in partials:
        known = ", ".join(sorted(partials))
        raise SitePageError(f"{where}: unknown partial {name!r} (sites/common/partials has {known})")
    text = partials[name].read_text(encoding="utf-8").rstrip("\n")
    if MARK in text:
        raise SitePageError(f"{where}: partial {name!r} includes another; partials do not nest")
    values = dict(ARG.findall(match["args"]))
    wanted = set(PLACEHOLDER.findall(text))
    if missing := sorted(wanted - values.keys()):
        raise SitePageError(f"{where}: partial {name!r} has no value for " + ", ".join(f"{{{{{k}}}}}" for k in missing))
    if unused := sorted(values.keys() - wanted):
        raise SitePageError(f"{where}: partial {name!r} has no placeholder for " + ", ".join(unused))
    text = PLACEHOLDER.sub(lambda m: values[m[1]], text)
    return "\n".join(indent + row if row else row for row in text.split("\n"))
