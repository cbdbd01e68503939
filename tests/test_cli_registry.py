"""The lazy sub-command registry: every module named in a `CliCommands` adds exactly the
commands (and one-line help) it is listed with, a call that names its command gets the same
sub-parser as the full parser, `--help` still lists every command, and `ask` imports none of the
other commands' modules."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.runtime.cli import CORE_COMMANDS, build_parser, cli_modules, command_word

ROOT = Path(__file__).resolve().parents[1]


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _listed(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """(name, help) of the top-level commands, as `--help` lists them."""
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [(choice.dest, choice.help or "") for choice in sub._choices_actions]


def _every_help(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict:
    """The help text of a parser and of all its sub-parsers, by command path."""
    texts = {path: parser.format_help()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                texts |= _every_help(child, (*path, name))
    return texts


@pytest.mark.parametrize("group", cli_modules(), ids=lambda g: g.module)
def test_each_module_adds_exactly_the_commands_it_is_listed_with(group):
    parser = argparse.ArgumentParser(prog="probe")
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(group.module).register_cli(sub)
    assert _listed(parser) == list(group.commands)


def test_help_lists_every_command_once_in_order():
    listed = _listed(build_parser())
    names = [name for name, _ in listed]
    assert len(names) == len(set(names))
    assert names[: len(CORE_COMMANDS)] == ["chat", "ask", "serve", "import", "export", "db"]
    assert listed[len(CORE_COMMANDS):] == [c for g in cli_modules() for c in g.commands]
    assert set(names) == CORE_COMMANDS | {n for g in cli_modules() for n in g.names}


def test_a_named_command_gets_the_full_parsers_sub_parser():
    full = build_parser()
    full_help = _every_help(full)
    for name in _commands(full):
        for argv in ([name], ["-v", name, "--x"], ["--verbose", "-v", name]):
            fast = build_parser(argv)
            assert name in _commands(fast)
            assert {p: t for p, t in _every_help(fast).items() if p[:1] == (name,)} == {
                p: t for p, t in full_help.items() if p[:1] == (name,)
            }, argv


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["ask", "who"], "ask"),
        (["-v", "status", "list"], "status"),
        (["--verbose", "triage"], "triage"),
        (["--help"], None),
        (["-h", "ask"], None),
        (["--verb", "ask"], None),  # argparse takes the abbreviation: the full parser decides
        (["-vh"], None),
        (["--", "ask"], None),
        (["nosuch"], None),
        (["-v"], None),
        ([], None),
    ],
)
def test_the_command_word_is_taken_only_when_plainly_named(argv, word):
    assert command_word(argv) == word


def test_anything_but_a_plain_command_gets_every_command():
    everything = _listed(build_parser())
    for argv in (["--help"], ["nosuch"], ["-h", "ask"], []):
        assert _listed(build_parser(argv)) == everything


def test_ask_imports_no_other_commands_module_and_help_lists_them_all():
    probe = (
        "import json, sys\n"
        "from integrations.runtime.cli import build_parser, cli_modules\n"
        "build_parser(['ask', 'who leads AP8'])\n"
        "print(json.dumps([g.module for g in cli_modules() if g.module in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == []
    shown = subprocess.run([sys.executable, "-m", "integrations.runtime", "--help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, check=True).stdout
    for group in cli_modules():
        for name, help_text in group.commands:
            assert f"    {name}" in shown and help_text in shown
