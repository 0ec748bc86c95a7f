"""`quorum audit` commands through typer's CliRunner (SQLite)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from bot.audit import DecisionStore, event_record, record_from_result
from bot.cli.audit_cmd import app
from bot.core.models import Action

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("QUORUM_DATABASE_URL", raising=False)
    monkeypatch.delenv("QUORUM_DATA_DIR", raising=False)
    return CliRunner()


@pytest.fixture
def log_url(sqlite_url, result_factory):
    store = DecisionStore(sqlite_url)
    for i, action in enumerate([Action.approve, Action.request_changes, Action.comment]):
        repo = "acme/gears" if i == 2 else "acme/widgets"
        store.append(record_from_result(result_factory(repo=repo, action=action, head_sha=f"{i:x}" * 40),
                                        now=T0 + timedelta(days=i)))
    store.append(event_record("review_dismissed", repo="acme/widgets", pr_number=7, actor="quorum[bot]",
                              now=T0 + timedelta(days=3)))
    store.close()
    return sqlite_url


def test_list_prints_a_table(runner, log_url):
    result = runner.invoke(app, ["list", "--database-url", log_url])
    assert result.exit_code == 0, result.output
    assert "4 record(s)" in result.stdout
    for needle in ("acme/widgets", "acme/gears", "request_changes", "review_dismissed", "0000000000"):
        assert needle in result.stdout
    filtered = runner.invoke(app, ["list", "--database-url", log_url, "--repo", "acme/gears"])
    assert "1 record(s)" in filtered.stdout and "acme/widgets" not in filtered.stdout
    since = runner.invoke(app, ["list", "--database-url", log_url, "--since", "2024-05-03", "--kind", "decision"])
    assert "1 record(s)" in since.stdout and "comment" in since.stdout


def test_show_prints_json(runner, log_url):
    result = runner.invoke(app, ["show", "2", "--database-url", log_url])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["seq"] == 2 and record["action"] == "request_changes" and len(record["record_hash"]) == 64
    by_hash = runner.invoke(app, ["show", record["record_hash"][:10], "--database-url", log_url])
    assert json.loads(by_hash.stdout)["seq"] == 2
    by_id = runner.invoke(app, ["show", record["decision_id"], "--database-url", log_url])
    assert json.loads(by_id.stdout)["seq"] == 2


def test_show_unknown_is_one_line_error(runner, log_url):
    result = runner.invoke(app, ["show", "42", "--database-url", log_url])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "quorum: error: no record matches '42'"


def test_verify_ok_and_broken(runner, log_url):
    ok = runner.invoke(app, ["verify", "--database-url", log_url])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip() == "verified 4 records, chain intact"
    engine = create_engine(log_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_log WHERE seq = 2"))
    engine.dispose()
    broken = runner.invoke(app, ["verify", "--database-url", log_url])
    assert broken.exit_code == 1
    lines = broken.stdout.strip().splitlines()
    assert len(lines) == 1 and "seq 3" in lines[0] and "gap in sequence" in lines[0]


def test_database_url_from_environment(runner, log_url):
    result = runner.invoke(app, ["verify"], env={"QUORUM_DATABASE_URL": log_url})
    assert result.exit_code == 0 and "verified 4 records" in result.stdout


def test_default_url_is_the_user_data_dir(runner, log_url, tmp_path, monkeypatch):
    data_home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    missing = runner.invoke(app, ["verify"])
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"quorum: error: no decision log at {data_home / 'quorum' / 'decisions.sqlite3'}"
    store = DecisionStore(DecisionStore.default_url(str(data_home / "quorum")))
    store.append(event_record("feedback", repo="acme/widgets", pr_number=1))
    store.close()
    found = runner.invoke(app, ["verify"])
    assert found.exit_code == 0 and found.stdout.strip() == "verified 1 record, chain intact"


def test_data_dir_option_and_env(runner, tmp_path):
    store = DecisionStore(DecisionStore.default_url(str(tmp_path / "qd")))
    store.append(event_record("feedback", repo="acme/widgets", pr_number=1))
    store.append(event_record("feedback", repo="acme/widgets", pr_number=2))
    store.close()
    by_option = runner.invoke(app, ["verify", "--data-dir", str(tmp_path / "qd")])
    assert by_option.exit_code == 0 and by_option.stdout.strip() == "verified 2 records, chain intact"
    by_env = runner.invoke(app, ["list"], env={"QUORUM_DATA_DIR": str(tmp_path / "qd")})
    assert by_env.exit_code == 0 and "2 record(s)" in by_env.stdout


def test_export_csv_to_file(runner, log_url, tmp_path):
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["export", "--format", "csv", "--repo", "acme/widgets", "--output", str(target),
                                 "--database-url", log_url])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"exported 3 record(s) to {target}"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert [r["seq"] for r in rows] == ["1", "2", "4"]


def test_export_jsonl_to_stdout_with_filters(runner, log_url):
    result = runner.invoke(app, ["export", "--action", "approve", "--since", "2024-05-01T00:00:00Z",
                                 "--database-url", log_url])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["seq"], r["action"]) for r in rows] == [(1, "approve")]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["export", "--format", "xml"], 2, "quorum: error: --format must be jsonl or csv, not 'xml'"),
        (["list", "--since", "last week"], 2, "quorum: error: --since: 'last week' is not a date"),
    ],
)
def test_bad_options_are_one_line(runner, log_url, args, code, message):
    result = runner.invoke(app, [*args, "--database-url", log_url])
    assert result.exit_code == code
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unsupported database"),
        ("postgresql+psycopg://nobody@/db?host=/nonexistent-socket-dir&port=1", "cannot read"),
    ],
)
def test_database_errors_are_one_line_without_traceback(runner, url, message):
    result = runner.invoke(app, ["list", "--database-url", url])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("quorum: error: ") and message in err
    assert "Traceback" not in result.output


def test_unexpected_errors_are_one_line(runner, log_url, monkeypatch):
    def boom(self):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(DecisionStore, "verify", boom)
    result = runner.invoke(app, ["verify", "--database-url", log_url])
    assert result.exit_code == 3
    assert result.stderr == "quorum: error: internal error: RuntimeError: disk on fire\n"


def test_corrupt_sqlite_file_is_one_line(runner, tmp_path):
    path = Path(tmp_path / "junk.sqlite3")
    path.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(app, ["verify", "--database-url", f"sqlite:///{path}"])
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "not a database" in err
