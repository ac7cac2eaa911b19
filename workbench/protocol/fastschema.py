"""A compiled yes/no check for the section 4.3 batch schema, for the hot paths (bridge and engine).

jsonschema takes ~3.5 ms to validate one 50-event batch on these machines, which alone caps a
bridge core at under 300 batches/s. This module compiles the *same* JSON Schema document
(``workbench/protocol/schemas/batch.schema.json``, never a copy) into nested closures that
answer only "valid or not" in tens of microseconds. When the answer is "not valid", callers
ask jsonschema for the readable reasons, so the messages are unchanged.

Only the keywords the batch schema uses are supported: ``type``, ``const``, ``required``,
``properties``, ``items``, ``minLength``, ``maxLength``, ``minimum``, ``maximum``, ``maxItems``, plus
annotations. :func:`compile_schema` raises :class:`UnsupportedSchema` on any other keyword,
and :func:`batch_checker` then falls back to jsonschema itself, so a schema edit can make the
checks slower but never wrong. ``tests/protocol/test_fastschema.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.errors import WorkbenchError

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "examples", "default"})
_TYPES = {  # each a Python expression over the value ``{v}``
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "null": "{v} is None",
    "boolean": "isinstance({v}, bool)",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "integer": "((isinstance({v}, int) and not isinstance({v}, bool))"
               " or (isinstance({v}, float) and {v}.is_integer()))",
}
_MISSING = object()


class UnsupportedSchema(WorkbenchError):
    """The schema uses a keyword this compiler does not implement."""


def _equal(a: Any, b: Any) -> bool:
    """JSON Schema equality for scalars: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


class _Writer:
    """Emits Python source that ``return False`` as soon as a rule fails."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._names = 0

    def name(self) -> str:
        self._names += 1
        return f"v{self._names}"

    def const(self, value: Any) -> str:
        key = f"C{len(self.constants)}"
        self.constants[key] = value
        return key

    def fail_unless(self, condition: str, pad: str) -> None:
        self.lines.append(f"{pad}if not ({condition}): return False")

    def schema(self, schema: dict[str, Any], v: str, pad: str) -> None:
        for key, value in schema.items():
            if key in ANNOTATIONS:
                continue
            if key == "type":
                names = [value] if isinstance(value, str) else list(value)
                if any(n not in _TYPES for n in names):
                    raise UnsupportedSchema(f"unknown type in {names}")
                self.fail_unless(" or ".join(_TYPES[n].format(v=v) for n in names), pad)
            elif key == "const" and not isinstance(value, dict | list):
                self.fail_unless(f"_equal({v}, {self.const(value)})", pad)
            elif key == "required":
                present = " and ".join(f"{self.const(n)} in {v}" for n in value) or "True"
                self.fail_unless(f"not isinstance({v}, dict) or ({present})", pad)
            elif key == "properties":
                self.lines.append(f"{pad}if isinstance({v}, dict):")
                self.lines.append(f"{pad}    pass")
                for prop, sub in value.items():
                    x = self.name()
                    self.lines.append(f"{pad}    {x} = {v}.get({self.const(prop)}, _MISSING)")
                    self.lines.append(f"{pad}    if {x} is not _MISSING:")
                    self.lines.append(f"{pad}        pass")
                    self.schema(sub, x, pad + "        ")
            elif key == "items" and isinstance(value, dict):
                x = self.name()
                self.lines.append(f"{pad}if isinstance({v}, list):")
                self.lines.append(f"{pad}    for {x} in {v}:")
                self.lines.append(f"{pad}        pass")
                self.schema(value, x, pad + "        ")
            elif key in ("minLength", "maxLength") and isinstance(value, int):
                op = ">=" if key == "minLength" else "<="
                self.fail_unless(f"not isinstance({v}, str) or len({v}) {op} {value}", pad)
            elif key == "maxItems" and isinstance(value, int):
                self.fail_unless(f"not isinstance({v}, list) or len({v}) <= {value}", pad)
            elif key in ("minimum", "maximum") and isinstance(value, int | float) and not isinstance(value, bool):
                op = ">=" if key == "minimum" else "<="
                self.fail_unless(f"not {_TYPES['number'].format(v=v)} or {v} {op} {self.const(value)}", pad)
            else:
                raise UnsupportedSchema(f"keyword {key!r} is not supported by the fast checker")


def compile_schema(schema: dict[str, Any]) -> Check:
    """Compile ``schema`` into a predicate that is True exactly when jsonschema finds no error."""
    writer = _Writer()
    writer.schema(schema, "v0", "    ")
    source = "def check(v0):\n" + "\n".join(writer.lines) + "\n    return True\n"
    namespace: dict[str, Any] = {"_equal": _equal, "_MISSING": _MISSING, **writer.constants}
    exec(compile(source, "<batch schema>", "exec"), namespace)  # source built only from the schema's keywords
    check: Check = namespace["check"]
    check.__doc__ = source
    return check


def batch_checker() -> tuple[Check, bool]:
    """The fast predicate for the batch schema and whether it is compiled (False: jsonschema's own)."""
    from jsonschema import Draft202012Validator

    from workbench.protocol.schema import schema

    try:
        return compile_schema(schema("batch")), True
    except UnsupportedSchema:
        return Draft202012Validator(schema("batch")).is_valid, False
