"""JSON Schemas for the EITP v1.1 packet (section 5) and telemetry batch (section 4.3).

:func:`validate` turns jsonschema's errors into messages a QA engineer can act on:
the JSON path, what was found and what the spec requires.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from itertools import islice
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from workbench.errors import ValidationError

Kind = Literal["packet", "batch"]
KINDS: tuple[Kind, ...] = ("packet", "batch")


@cache
def schema(kind: Kind) -> dict[str, Any]:
    """The JSON Schema document for ``kind``."""
    if kind not in KINDS:
        raise ValidationError(f"unknown schema {kind!r}; choose one of {', '.join(KINDS)}")
    text = resources.files("workbench.protocol.schemas").joinpath(f"{kind}.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _validator(kind: Kind) -> Draft202012Validator:
    return Draft202012Validator(schema(kind))


def _explain(error: SchemaError) -> str:
    path = ".".join(str(p) for p in error.absolute_path) or "(document)"
    if path == "emotion.primary":
        return (
            f"emotion.primary is {error.instance!r}, which is not one of the 22 canonical "
            "EITP v1.1 emotions (section 6); 'unknown' is explicitly prohibited"
        )
    if error.validator == "not" and error.instance in ("ip", "clientIp", "ipAddress", "remoteAddress"):
        return f"{path}: field {error.instance!r} must not appear (IP addresses never reach consumers, section 10.3)"
    return f"{path}: {error.message}"


TOO_DEEP = "a value is nested too deeply for the schema check to describe it"


def errors(document: Any, kind: Kind, *, limit: int | None = None) -> list[str]:
    """Every problem with ``document`` as a readable line (the first ``limit`` found); empty when it
    is valid. A limit bounds the work too: 16,000 bad events cost one error's worth, not 16,000."""
    found: list[SchemaError] = []
    try:
        found.extend(islice(_validator(kind).iter_errors(document), limit))
    except RecursionError:  # each message shows the bad value: one nested ~1,000 deep cannot be shown
        return [_explain(e) for e in found] + [TOO_DEEP]
    return [_explain(e) for e in sorted(found, key=lambda e: list(e.absolute_path))]


def validate(document: Any, kind: Kind) -> None:
    """Raise :class:`ValidationError` listing every problem, or return quietly."""
    problems = errors(document, kind)
    if problems:
        raise ValidationError(f"not a valid EITP v1.1 {kind}:\n  " + "\n  ".join(problems))


def guess_kind(document: Any) -> Kind:
    """``batch`` for a section 4.3 envelope, otherwise ``packet``."""
    if isinstance(document, dict) and document.get("type") == "telemetry_batch":
        return "batch"
    return "packet"
