"""``quorum demo seed``: a real git history replayed into the decision log, decisions and merges."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.audit import DecisionStore
from bot.audit.query import iter_records
from bot.audit.report import find_exceptions
from bot.cli.demo_cmd import app
from bot.evals.seed import SEED_NOTE, WEB_MERGE


def test_seed_appends_a_decision_then_a_merge_per_pr(pr_history, tmp_path: Path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    result = CliRunner().invoke(app, ["seed", "--repo", str(pr_history.path), "--name", "acme/demo", "--limit", "4",
                                      "--database-url", url], env={"QUORUM_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    assert "seeded 4 merged PR(s) of acme/demo (8 records)" in result.output
    store = DecisionStore(url)
    records = list(iter_records(store))
    assert [r["kind"] for r in records] == ["decision", "merge"] * 4
    assert [r["pr_number"] for r in records[::2]] == [10, 11, 12, 13]  # the 4 newest, oldest first
    for decision, merge in zip(records[::2], records[1::2], strict=True):
        assert merge["head_sha"] == decision["head_sha"] == merge["merge_commit_sha"]
        assert merge["quorum_decision_id"] == decision["decision_id"] and decision["repo"] == "acme/demo"
        assert merge["quorum_approved"] == (decision["action"] == "approve")
        assert merge["merged_by"] == WEB_MERGE and merge["evidence_errors"] == [SEED_NOTE]
        assert decision["created_at"] < merge["created_at"] and decision["policy_tree"]["children"]
    held = [r for r in records[::2] if r["action"] != "approve"]
    assert [r["exception"] for r in find_exceptions(records)] == ["held_back_merged"] * len(held)
    assert store.verify().ok
    store.close()


def test_seed_refuses_a_path_that_is_not_a_repository(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["seed", "--repo", str(tmp_path), "--database-url", f"sqlite:///{tmp_path / 'l.db'}"])
    assert result.exit_code == 2 and "error" in result.output and "Traceback" not in result.output
