"""The command line: fast `--help`/`--version`, option parsing, the emulator subcommand, and the
start-up import budget (nothing heavy before the first frame)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tm_tui import __version__
from tm_tui.cli import parse_args
from tm_tui.state import LaunchOptions
from tm_tui.surface import Surface

HEAVY = ("textual", "httpx", "pydantic", "starlette", "uvicorn", "rich")


def python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def loaded_after(statement: str, prefixes: tuple[str, ...]) -> list[str]:
    code = f"""
import contextlib, io, sys
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    {statement}
print(sorted({{m.split('.')[0] if not m.startswith('tm_tui') else m for m in sys.modules}}))
"""
    loaded = eval(python(code))  # a list literal printed by the child
    return [name for name in loaded if name.startswith(prefixes)]


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(flag):
    assert loaded_after(f"from tm_tui.cli import main; main([{flag!r}])", HEAVY) == []


def test_the_app_module_defers_the_network_layers():
    """Importing the shell (everything before the first frame) must not load the API layer, the
    settings models or the emulator: together they cost more than Textual itself."""
    heavy = ("httpx", "pydantic", "tomli_w", "starlette", "uvicorn", "tm_tui.api", "tm_tui.emulator")
    # The typed errors are plain exception classes (stdlib only): the error panel may use them early.
    light = {"tm_tui.api", "tm_tui.api.errors"}
    assert [name for name in loaded_after("import tm_tui.app", heavy) if name not in light] == []


def test_help_explains_sections_demo_env_and_files():
    out = subprocess.run(
        [sys.executable, "-m", "tm_tui", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    for needle in (
        "--demo",
        "sections:",
        "TENSORMESH_INFERENCE_API_KEY",
        "files:",
        "never taken on the command line",
    ):
        assert needle in out
    assert "--api-key" not in out and "--token" not in out


def test_version():
    out = subprocess.run(
        [sys.executable, "-m", "tm_tui", "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == f"tm-tui {__version__}"


def test_options_are_parsed():
    options = parse_args(
        ["--demo", "--profile", "work", "--surface", "on-demand", "--model", "m", "--timeout", "2.5"]
        + ["--on-demand-url", "http://x", "--user-id", "u", "--provider", "lambda", "--ca-bundle", "/c.pem"]
    )
    assert options == LaunchOptions(
        demo=True,
        profile="work",
        surface=Surface.ON_DEMAND,
        model="m",
        timeout=2.5,
        on_demand_url="http://x",
        user_id="u",
        provider="lambda",
        ca_bundle="/c.pem",
    )
    assert parse_args([]) == LaunchOptions()


@pytest.mark.parametrize(
    "argv", [["--timeout", "0"], ["--timeout", "soon"], ["--surface", "cloud"], ["--api-key", "k"]]
)
def test_bad_options_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert "usage: tm-tui" in capsys.readouterr().err


def test_emulator_subcommand_delegates():
    result = subprocess.run(
        [sys.executable, "-m", "tm_tui", "emulator", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "--auto-approve" in result.stdout and "--fault" in result.stdout
