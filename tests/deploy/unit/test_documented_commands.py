"""The `python -m …` commands the READMEs, CONTRIBUTING, docs and the runbook tell people to run exist as written.

Every command found in a code block or an inline code span is asked for `--help` (its subcommand's, when it names
one); the test fails when the module, the subcommand or any `--flag` the text uses is not there, so renaming a flag
without the documentation fails CI.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DOCUMENTS = sorted(
    {
        REPO / "README.md",
        REPO / "CONTRIBUTING.md",
        REPO / "deploy" / "RUNBOOK.md",
        REPO / "frontend" / "README.md",
        *REPO.glob("docs/*.md"),
        *REPO.glob("deploy/*.md"),
        *REPO.glob("services/*/README.md"),
        *REPO.glob("libs/*/README.md"),
    }
)
SERVICE_ENTRY_POINTS = {"livestudio_analytics.main"}
"""Services started by `python -m <package>.main`: configured by the environment, they have no options to check."""

FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"python3? -m ([A-Za-z_][\w.]*)(.*)")
SUBCOMMAND = re.compile(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*")


@dataclass(frozen=True)
class Documented:
    where: str
    module: str
    subcommands: tuple[str, ...]
    flags: tuple[str, ...]


def _snippets(text: str) -> list[str]:
    blocks = [b.replace("\\\n", " ") for b in FENCED.findall(text)]
    prose = FENCED.sub("", text)
    lines = [line for block in blocks for line in block.splitlines()]
    return lines + [" ".join(span.split()) for span in INLINE.findall(prose)]


def _parse(where: str, snippet: str) -> Documented | None:
    match = COMMAND.search(snippet)
    if match is None:
        return None
    rest = re.split(r"\s[|;]\s|&&|\s[<>]\s?", match.group(2))[0]
    try:
        tokens = shlex.split(rest)
    except ValueError:
        tokens = rest.split()
    subcommands: tuple[str, ...] = ()
    if tokens and SUBCOMMAND.fullmatch(tokens[0]):
        subcommands = tuple(tokens[0].split("|"))
    flags = tuple(
        sorted({t.strip("[]").split("=")[0] for t in tokens if t.strip("[").startswith("-") and t != "--help"})
    )
    return Documented(where, match.group(1), subcommands, flags)


def documented_commands() -> list[Documented]:
    found = []
    for doc in DOCUMENTS:
        for snippet in _snippets(doc.read_text()):
            command = _parse(str(doc.relative_to(REPO)), snippet)
            if command is not None and command.module not in SERVICE_ENTRY_POINTS:
                found.append(command)
    return found


@cache
def help_text(module: str, subcommand: str | None) -> tuple[int, str]:
    argv = [sys.executable, "-m", module, *([subcommand] if subcommand else []), "--help"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=REPO)
    return done.returncode, done.stdout + done.stderr


def test_the_documents_name_commands() -> None:
    modules = {c.module for c in documented_commands()}
    assert {"livestudio_ingest.cli", "livestudio_gateway.tokens", "livestudio_runtime.dlq"} <= modules


def test_every_documented_command_and_flag_exists() -> None:
    commands = documented_commands()
    wanted = sorted({(c.module, s) for c in commands for s in (c.subcommands or (None,))}, key=str)
    with ThreadPoolExecutor(max_workers=4) as pool:  # each is a Python start-up and an import, mostly waiting
        list(pool.map(lambda key: help_text(*key), wanted))
    problems = []
    for command in commands:
        for subcommand in command.subcommands or (None,):
            status, text = help_text(command.module, subcommand)
            shown = f"python -m {command.module}{' ' + subcommand if subcommand else ''}"
            if status != 0:
                problems.append(f"{command.where}: `{shown} --help` failed ({status}): {text[-300:]}")
                continue
            for flag in command.flags:
                if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text):
                    problems.append(f"{command.where}: `{shown}` has no option {flag}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "uv run python -m livestudio_ingest.cli add --account-id … --studio-id … < cookie.txt",
            Documented("doc", "livestudio_ingest.cli", ("add",), ("--account-id", "--studio-id")),
        ),
        (
            "python -m livestudio_runtime.dlq list|replay",
            Documented("doc", "livestudio_runtime.dlq", ("list", "replay"), ()),
        ),
        (
            "python -m livestudio_analytics.rebuild [--wait SECONDS]",
            Documented("doc", "livestudio_analytics.rebuild", (), ("--wait",)),
        ),
        (
            "python -m livestudio_commission.roster_import ROSTER.csv [--apply] | tee out",
            Documented("doc", "livestudio_commission.roster_import", (), ("--apply",)),
        ),
        ("curl localhost:8900", None),
    ],
)
def test_commands_are_read_from_the_text(snippet: str, expected: Documented | None) -> None:
    assert _parse("doc", snippet) == expected
