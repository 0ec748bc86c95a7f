"""`quorum audit token|access|exceptions` and `quorum rules stats` through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.audit import DecisionStore
from bot.audit.access import AccessStore
from bot.cli import audit_access_cmd, rules_cmd
from bot.cli.audit_cmd import app
from bot.testing.auditlog import T0, exceptions_log, feedback

audit_access_cmd.register(app)


@pytest.fixture
def url(tmp_path: Path) -> str:
    u = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    store = DecisionStore(u)
    records, _ = exceptions_log()
    for r in [*records, feedback("acme/widgets", 4, "paths/wide-reach", "down", "carol", at=T0)]:
        store.append(r)
    store.close()
    return u


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("QUORUM_DATABASE_URL", raising=False)
    return CliRunner()


def test_token_create_list_revoke(runner: CliRunner, url: str) -> None:
    created = runner.invoke(app, ["token", "create", "--name", "ann", "--expires-in-days", "30", "--database-url", url])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("qa_") and len(secret) > 40
    info, outcome = AccessStore(url).authenticate(secret)
    assert outcome == "ok" and info is not None and info.name == "ann" and info.expires_at is not None
    again = runner.invoke(app, ["token", "create", "--name", "ann", "--database-url", url])
    assert again.exit_code == 2 and "already exists" in again.output
    listed = runner.invoke(app, ["token", "list", "--database-url", url])
    assert listed.exit_code == 0 and "ann" in listed.output and "active" in listed.output and secret not in listed.output
    assert runner.invoke(app, ["token", "revoke", "--name", "ann", "--database-url", url]).exit_code == 0
    assert AccessStore(url).authenticate(secret)[1] == "revoked token"
    gone = runner.invoke(app, ["token", "revoke", "--name", "ann", "--database-url", url])
    assert gone.exit_code == 1 and "no active token" in gone.output


def test_access_log_command_lists_requests(runner: CliRunner, url: str) -> None:
    store = AccessStore(url)
    store.record(token_name="ann", method="GET", path="/api/v1/decisions?repo=a%2Fb", outcome="ok", client="127.0.0.1")
    store.record(token_name=None, method="GET", path="/api/v1/verify", outcome="denied: no token", client="127.0.0.1")
    out = runner.invoke(app, ["access", "--database-url", url])
    assert out.exit_code == 0 and "/api/v1/decisions?repo=a%2Fb" in out.output and "denied: no token" in out.output


def test_exceptions_command_csv(runner: CliRunner, url: str) -> None:
    out = runner.invoke(app, ["exceptions", "--format", "csv", "--database-url", url])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["exception"], int(r["pr_number"])) for r in rows] == exceptions_log()[1]
    table = runner.invoke(app, ["exceptions", "--database-url", url])
    assert table.exit_code == 0 and "held_back_merged" in table.output
    assert runner.invoke(app, ["exceptions", "--format", "xml", "--database-url", url]).exit_code == 2


def test_rules_stats(runner: CliRunner, url: str) -> None:
    out = runner.invoke(rules_cmd.app, ["stats", "--format", "json", "--database-url", url])
    assert out.exit_code == 0, out.output
    (entry,) = json.loads(out.stdout)
    assert (entry["rule_id"], entry["findings"], entry["down"], entry["precision"]) == ("paths/wide-reach", 1, 1, 0.0)
    table = runner.invoke(rules_cmd.app, ["stats", "--repo", "acme/widgets", "--database-url", url])
    assert table.exit_code == 0 and "paths/wide-reach" in table.output and "0%" in table.output
