"""The command line as a whole: `--version`, and help text on every option of every command."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from ferry import cli


def every_parser(parser: argparse.ArgumentParser, path: str = "ferry") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += every_parser(sub, f"{path} {name}")
    return found


def root_parser(monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    built: list[argparse.ArgumentParser] = []

    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        built.append(self)
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(SystemExit):
        cli.main([])
    return built[0]


def test_every_option_of_every_command_has_help(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = [
        f"{path} {action.option_strings or action.dest}"
        for path, parser in every_parser(root_parser(monkeypatch))
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"ferry {cli.ferry_version()}"
    assert cli.ferry_version()[0].isdigit()
