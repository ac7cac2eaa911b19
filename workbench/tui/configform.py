"""The thresholds form without Textual: fields, parsing, validation with per-field errors, presets.

Validation is :meth:`EITPConfig.from_mapping`, the same check every run applies; its
message names each bad key (``intervention.cooldown_ms: ...``), which is split back onto
the fields so each error shows beside its input.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import EITPConfig, toml_value
from workbench.errors import ConfigError

SECTIONS = ("signal", "transport", "inference", "intervention", "bot", "classifier")
_PROBLEM = re.compile(r"(?:^invalid configuration: |; )(?P<loc>[a-z0-9_]+\.[a-z0-9_]+)(?:\.[\w.]+)?: ")


@dataclass(frozen=True)
class Field:
    section: str
    key: str
    text: str
    """The value as a TOML literal (what the input shows)."""
    doc: str = ""

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.key}"


def fields_of(config: EITPConfig) -> list[Field]:
    """Every key of every section, in declaration order, with the section's docstring first line."""
    out: list[Field] = []
    data = config.model_dump()
    for section in SECTIONS:
        doc = (type(getattr(config, section)).__doc__ or "").strip().splitlines()[0]
        for key, value in data[section].items():
            out.append(Field(section, key, literal(value), doc))
    return out


def literal(value: Any) -> str:
    """A value as the TOML literal :func:`parse_value` reads back, as a preset writes it (so a backslash or a
    quote in a path survives the form's round trip)."""
    return toml_value(value)


def parse_value(text: str) -> Any:
    """A TOML literal (``800``, ``0.85``, ``["10.0.0.0/8"]``); anything else stays text for the validator."""
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def validate(values: dict[str, str]) -> tuple[EITPConfig | None, dict[str, str]]:
    """Check dotted-key -> text values. Returns the config, or None and a message per bad key."""
    data: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    for dotted, text in values.items():
        section, _, key = dotted.partition(".")
        data.setdefault(section, {})[key] = parse_value(text)
    try:
        return EITPConfig.from_mapping(data), {}
    except ConfigError as exc:
        return None, split_problems(str(exc))


def split_problems(message: str) -> dict[str, str]:
    """``invalid configuration: a.b: msg; c.d: msg`` -> {"a.b": "msg", "c.d": "msg"}."""
    matches = list(_PROBLEM.finditer(message))
    if not matches:
        return {"": message}
    out: dict[str, str] = {}
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        text = message[m.end(): nxt.start() if nxt else len(message)].strip()
        text = text.removeprefix("Value error, ")
        out[m["loc"]] = f"{out[m['loc']]}; {text}" if m["loc"] in out else text
    return out


def presets_dir() -> Path:
    """``$WORKBENCH_PRESETS`` or ``./presets``: where saved threshold presets live."""
    return Path(os.environ.get("WORKBENCH_PRESETS", "presets"))


def list_presets(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml")) if directory.is_dir() else []


def preset_path(directory: Path, name: str) -> Path:
    """``<directory>/<name>.toml``; refuses names that are paths."""
    stem = name.strip().removesuffix(".toml")
    if not stem or not re.fullmatch(r"[\w.-]+", stem) or stem.startswith("."):
        raise ConfigError(f"preset name {name!r}: use letters, digits, '-', '_' or '.' (no folders)")
    return directory / f"{stem}.toml"


def replaces_another(path: Path, toml: str) -> bool:
    """Would saving ``toml`` at ``path`` replace a preset that says something else?"""
    try:
        return path.read_text(encoding="utf-8") != toml
    except FileNotFoundError:
        return False


def save_preset(config: EITPConfig, directory: Path, name: str) -> Path:
    """Write ``config.to_toml()`` as ``<directory>/<name>.toml`` (see :func:`preset_path`)."""
    path = preset_path(directory, name)
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(config.to_toml(), encoding="utf-8")
    return path
