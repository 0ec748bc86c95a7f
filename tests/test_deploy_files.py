"""The deployment files parse and describe the scale-out shape (there is no Docker engine here, so
the compose file is checked as YAML against what `quorum` accepts)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.cli.main import _register_subcommands, app

ROOT = Path(__file__).resolve().parents[1]


def test_compose_file_runs_postgres_migrate_receivers_and_workers() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "receiver", "worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["quorum", "db", "upgrade"]
    assert services["receiver"]["command"] == ["quorum", "serve", "--workers", "0"]
    assert services["worker"]["command"][:2] == ["quorum", "worker"]
    for name in ("migrate", "receiver", "worker"):
        url = services[name]["environment"]["QUORUM_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    for name in ("receiver", "worker"):  # start only after the schema is migrated
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_commands_are_real_quorum_commands() -> None:
    _register_subcommands()
    runner = CliRunner()
    for args in (["serve", "--help"], ["worker", "--help"], ["db", "upgrade", "--help"], ["jobs", "list", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    assert "--workers" in runner.invoke(app, ["serve", "--help"]).output
