"""Audit of the ``--help`` of ``sweep``, ``compare`` and ``ingest``: each teaches by example, every example
is a command line the parser takes, and every option the text names exists."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from workbench.cli.main import build_parser

COMMANDS = ("sweep", "compare", "ingest")


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser, _ = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def examples(text: str) -> list[str]:
    """The command lines of a help's "examples:" section (a pipe's last command; a trailing comment cut)."""
    section = text.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0]
    lines = [re.split(r"\s{2,}", line.strip())[0] for line in section.splitlines() if line.strip()]
    return [line.split("|")[-1].split(">")[0].strip() for line in lines]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_help_teaches_by_examples_the_parser_takes(command):
    commands = subparsers()
    help_text = commands[command].format_help()
    assert "\nexamples:\n" in help_text, f"workbench {command} --help has no examples"
    shown = examples(help_text)
    assert any(line.startswith(f"workbench {command}") for line in shown), shown
    for line in shown:
        words = shlex.split(line)
        assert words[0] == "workbench", line
        try:
            commands[words[1]].parse_args(words[2:])
        except SystemExit:
            pytest.fail(f"workbench {command} --help shows an example its parser refuses: {line}")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_a_help_names_exists(command):
    # the texts name other commands' options too (`workbench run --seed`), so any command's will do
    commands = subparsers()
    known = {o for p in commands.values() for a in p._actions for o in a.option_strings}
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", commands[command].format_help()))
    assert named and named <= known, f"workbench {command} --help names options no command has: {named - known}"
