"""`selfstudy --help` and a light command start without the heavy libraries, and the
command list shown before any command is imported says what each command says itself.

The time itself is measured by `benchmarks/bench_cli.py`, never asserted here.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys

import click
import pytest

import selfstudy.cli
from selfstudy.cli import COMMANDS, main

from .conftest import DEFAULT_RUBRIC_PATH, SAMPLES_DIR

HEAVY = (
    "pandas",
    "numpy",
    "pyarrow",
    "altair",
    "vl_convert",
    "openpyxl",
    "python_calamine",
    "sqlalchemy",
    "psycopg",
    "gspread",
    "google",
    "requests",
    "streamlit",
)

FRESH = """
import json, os, sys
import click
from selfstudy.cli import main
if os.environ.get("IMPORT_EVERY_COMMAND"):
    context = click.Context(main)
    for name in main.list_commands(context):
        main.get_command(context, name)  # from now on each command's own help is listed
try:
    main(sys.argv[1:], prog_name="selfstudy")
except SystemExit:
    pass
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps(heavy), file=sys.stderr)
"""


def fresh_run(*args: str, every_command: bool = False) -> tuple[str, list[str]]:
    """The output of `selfstudy ARGS` in a new process, and the heavy libraries it imported;
    `every_command` imports every command's module first."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH, *args],
        input=json.dumps(HEAVY),
        capture_output=True,
        text=True,
        env={
            **_environment(),
            "COLUMNS": "80",
            **({"IMPORT_EVERY_COMMAND": "1"} if every_command else {}),
        },
        check=False,
    )
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def _environment() -> dict[str, str]:
    """This environment without the SELFSTUDY_ settings a developer may have exported."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SELFSTUDY_")}


def test_help_imports_no_heavy_library():
    output, heavy = fresh_run("--help")
    assert "Commands:" in output
    assert heavy == []


def test_score_imports_no_heavy_library():
    output, heavy = fresh_run("score", str(SAMPLES_DIR / "p01-baseline.json"))
    assert "Overall:" in output
    assert heavy == []


def test_validate_imports_no_heavy_library():
    output, heavy = fresh_run("validate", str(DEFAULT_RUBRIC_PATH))
    assert output.strip().endswith(": ok")
    assert heavy == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_command_exists_and_is_summarized_as_its_help_begins(name):
    command = main.get_command(click.Context(main), name)
    assert command is not None, (
        f"`selfstudy {name}` is listed but its module defines no such command"
    )
    first_paragraph = " ".join(command.help.split("\n\n")[0].split())
    assert COMMANDS[name].summary == first_paragraph


def test_the_first_listing_is_the_one_the_commands_give():
    before, _ = fresh_run("--help")  # nothing imported: the listing comes from COMMANDS
    after, _ = fresh_run("--help", every_command=True)
    assert before == after


def test_every_command_a_module_defines_is_listed():
    """A command missing from COMMANDS would be neither listed nor found by its name."""
    for module in pkgutil.iter_modules(selfstudy.cli.__path__):
        importlib.import_module(f"selfstudy.cli.{module.name}")
    assert set(main.commands) == set(COMMANDS)
