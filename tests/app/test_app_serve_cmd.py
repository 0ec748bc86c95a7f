"""``quorum serve``: refuses to start without its secrets; the CLI never loads the web stack for review."""

from __future__ import annotations

import subprocess
import sys

import pytest
import structlog
from typer.testing import CliRunner

from bot.cli import main as cli_main


@pytest.fixture
def cli():  # noqa: ANN201
    cli_main._register_subcommands()
    return cli_main.app


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "QUORUM_WEBHOOK_SECRET is not set: refusing to start"),
        ({"QUORUM_WEBHOOK_SECRET": "s"}, "QUORUM_GITHUB_APP_ID is not set"),
        ({"QUORUM_WEBHOOK_SECRET": "s", "QUORUM_GITHUB_APP_ID": "1"}, "QUORUM_GITHUB_PRIVATE_KEY is not set"),
        ({"QUORUM_WEBHOOK_SECRET": "s", "QUORUM_GITHUB_APP_ID": "1", "QUORUM_GITHUB_PRIVATE_KEY": "/nonexistent.pem"},
         "neither PEM text nor a readable PEM file"),
    ],
)
def test_serve_refuses_to_start(cli, monkeypatch: pytest.MonkeyPatch, tmp_path, env: dict, message: str) -> None:  # noqa: ANN001
    for var in ("QUORUM_WEBHOOK_SECRET", "QUORUM_GITHUB_APP_ID", "QUORUM_GITHUB_PRIVATE_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUORUM_DATA_DIR", str(tmp_path))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    factory = structlog.get_config()["logger_factory"]
    result = CliRunner().invoke(cli, ["serve"])
    assert structlog.get_config()["logger_factory"] is factory  # logging is configured only once serve can start
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quorum: error: ") and message in lines[0]


def test_cli_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, bot.cli.main as m; m._register_subcommands(); "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'fastapi', 'uvicorn', 'github', 'starlette'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
