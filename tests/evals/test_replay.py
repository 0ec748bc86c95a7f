"""History replay end to end on a real git history: records, labels, summary, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import bot.evals.replay as replay_mod
from bot.evals.history import MergedPR
from bot.evals.replay import (
    QUORUM,
    ReplayConfig,
    goal_check,
    load_state,
    run_replay,
    select_prs,
    summarize,
)


def _pr(n: int, ts: int) -> MergedPR:
    return MergedPR(number=n, sha=f"{n:040x}", base="0" * 40, kind="squash", title=f"t{n}", body="", author="a",
                    email="a@x.invalid", timestamp=ts)


def test_select_prs_sample_is_seeded_and_limit_takes_newest() -> None:
    prs = [_pr(i, 1000 + i) for i in range(50)]
    a = select_prs(prs, limit=None, sample=10, seed=7)
    b = select_prs(prs, limit=None, sample=10, seed=7)
    c = select_prs(prs, limit=None, sample=10, seed=8)
    assert [p.sha for p in a] == [p.sha for p in b] and len(a) == 10
    assert {p.sha for p in a} != {p.sha for p in c}
    assert [p.timestamp for p in a] == sorted((p.timestamp for p in a), reverse=True)
    assert [p.number for p in select_prs(prs, limit=3, sample=None, seed=0)] == [49, 48, 47]
    assert len(select_prs(prs, limit=None, sample=500, seed=0)) == 50


def _rec(action: str, *, eligible: bool = True, reverted: bool = False, szz: bool = False,
         small: bool = False, docs: bool = False, latency: float = 100.0, reasons: list[str] | None = None) -> dict[str, Any]:
    return {"sha": "x", "action": action, "eligible": eligible, "reverted": reverted, "szz": szz,
            "baselines": {"small_change": small, "no_runtime_source": docs}, "latency_ms": latency,
            "reasons": reasons or ([] if action == "approve" else ["paths.sensitive"]), "statuses": {}, "findings": []}


def test_summarize_rates_and_goal() -> None:
    records = (
        [_rec("approve", small=True, latency=float(i)) for i in range(6)]            # 6 good approvals
        + [_rec("approve", szz=True, small=True)]                                    # 1 bad approval (SZZ)
        + [_rec("approve", eligible=False, reverted=True)]                           # young: no label stats
        + [_rec("comment", reverted=True, small=True, reasons=["verdicts.concern", "verdicts.risk"])]
        + [_rec("needs_human", szz=True, docs=True)]
        + [_rec("error")]
    )
    records[-1]["latency_ms"] = None
    s = summarize(records)
    q = s["systems"][QUORUM]
    assert s["prs"] == 11 and s["eligible"] == 10 and s["errors"] == 1
    assert (q["auto_approve"]["k"], q["auto_approve"]["n"]) == (8, 11)
    assert (q["szz_bad_approval"]["k"], q["szz_bad_approval"]["n"]) == (1, 7)   # among eligible approvals
    assert (q["revert_bad_approval"]["k"], q["revert_bad_approval"]["n"]) == (0, 7)
    assert (q["szz_approved_share"]["k"], q["szz_approved_share"]["n"]) == (1, 2)
    small = s["systems"]["small_change"]
    assert (small["auto_approve"]["k"], small["revert_bad_approval"]["k"], small["revert_bad_approval"]["n"]) == (8, 1, 8)
    assert (s["base_rates"]["revert"]["k"], s["base_rates"]["revert"]["n"]) == (1, 10)
    assert (s["base_rates"]["szz"]["k"], s["base_rates"]["szz"]["n"]) == (2, 10)
    assert s["holdbacks"]["paths.sensitive"] == {"prs": 1, "only_reason": 1}
    assert s["holdbacks"]["verdicts.concern"] == {"prs": 1, "only_reason": 0}
    assert s["latency_ms"]["n"] == 10 and s["latency_ms"]["p50"] == 4.5  # 0..5 and four 100s
    g = s["goal"]
    assert g["auto_approve_at_least_30pct"] is True
    assert g["revert_below_half_base"] is True       # 0/7 < 10% / 2
    assert g["szz_at_most_0_5pct"] is False          # 1/7
    assert g["vs_small_change"] == {"more_approvals": False, "revert": "lower", "szz": "higher"}


def test_goal_undecided_without_data() -> None:
    s = summarize([_rec("comment", eligible=False)])
    g = goal_check(s)
    assert g["revert_below_half_base"] is None and g["szz_at_most_0_5pct"] is None


@pytest.fixture(scope="module")
def replayed(pr_history: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Any]:
    state = tmp_path_factory.mktemp("state") / "state.jsonl"
    cfg = ReplayConfig(repo=pr_history.path, state_path=state, cache_dir=tmp_path_factory.mktemp("cache"))
    return pr_history, state, run_replay(cfg)


def test_replay_reviews_every_pr_with_labels(replayed: tuple[Any, Path, Any]) -> None:
    h, state, report = replayed
    assert report.head_sha == h.sha["head"]
    assert report.selection["prs_reviewed"] == 13 and len(report.records) == 13
    by = {r["number"]: r for r in report.records}
    assert by[2]["reverted"] and by[2]["reverted_by"] == [h.sha["pr3"]]
    assert by[1]["szz"] and by[5]["szz"] and by[12]["szz"]
    assert not by[12]["eligible"] and by[1]["eligible"]
    assert all(r["action"] in {"approve", "comment", "request_changes", "needs_human"} for r in report.records)
    assert all(r["latency_ms"] > 0 for r in report.records)
    # Baselines judge the same diffs: #7 edits README only (docs), #6 touches code.
    assert by[7]["baselines"] == {"small_change": True, "no_runtime_source": True}
    assert by[6]["baselines"]["no_runtime_source"] is False
    s = report.summary
    assert s["prs"] == 13 and s["eligible"] == 10
    assert s["base_rates"]["revert"]["k"] == 1 and s["base_rates"]["szz"]["k"] == 2
    assert s["labels"]["fix_prs"] == 5
    # Every PR and every blamed fix is in the state file, one JSON object per line.
    lines = [json.loads(x) for x in state.read_text().splitlines()]
    assert sum(x["type"] == "pr" for x in lines) == 13 and sum(x["type"] == "fix" for x in lines) == 5


def test_replay_resumes_from_state(replayed: tuple[Any, Path, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    h, state, first = replayed
    calls: list[str] = []
    real = replay_mod.review_pr
    monkeypatch.setattr(replay_mod, "review_pr", lambda repo, pr, options: calls.append(pr.sha) or real(repo, pr, options))
    again = run_replay(ReplayConfig(repo=h.path, state_path=state))
    assert calls == [] and again.reused == 13
    assert again.summary["systems"] == first.summary["systems"]


def test_interrupted_run_continues(pr_history: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "s.jsonl"
    real = replay_mod.review_pr
    seen: list[int] = []

    def dies_after_three(repo: Path, pr: MergedPR, options: Any) -> dict[str, Any]:
        if len(seen) == 3:
            raise KeyboardInterrupt
        seen.append(pr.number)
        return real(repo, pr, options)

    monkeypatch.setattr(replay_mod, "review_pr", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        run_replay(ReplayConfig(repo=pr_history.path, state_path=state, limit=6))
    with state.open("a") as fh:
        fh.write('{"v": 1, "type": "pr", "sha": "tor')  # a line torn by the kill
    monkeypatch.setattr(replay_mod, "review_pr", real)
    head = pr_history.sha["head"]
    engine = replay_mod.engine_fingerprint()
    done, _ = load_state(state, replay_mod.state_key(head, _policy_version(), engine), f"{head}:{engine}")
    assert len(done) == 3
    calls: list[int] = []
    monkeypatch.setattr(replay_mod, "review_pr", lambda repo, pr, options: calls.append(pr.number) or real(repo, pr, options))
    report = run_replay(ReplayConfig(repo=pr_history.path, state_path=state, limit=6))
    assert report.reused == 3 and sorted(calls + seen) == sorted(r["number"] for r in report.records)
    assert len(report.records) == 6


def test_state_of_another_policy_is_not_reused(replayed: tuple[Any, Path, Any]) -> None:
    h, state, _ = replayed
    other = "auto_approve:\n  max_changed_lines: 5\n"
    report = run_replay(ReplayConfig(repo=h.path, state_path=state.parent / "copy.jsonl", policy_text=other, limit=2))
    assert report.reused == 0
    done, fixes = load_state(state, "not-the-key", f"{h.sha['head']}:{replay_mod.engine_fingerprint()}")
    assert done == {} and len(fixes) == 5  # fix blames depend on HEAD and the engine only


def test_state_of_another_engine_is_not_reused(replayed: tuple[Any, Path, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    h, state, _ = replayed
    monkeypatch.setattr(replay_mod, "engine_fingerprint", lambda: "0123456789abcdef")  # a changed rule or agent
    report = run_replay(ReplayConfig(repo=h.path, state_path=state, limit=2))
    assert report.reused == 0 and report.key.endswith(":0123456789abcdef")


def _policy_version() -> str:
    from bot.policy import load_policy

    return load_policy(None).version


def test_review_error_is_never_an_approval(pr_history: Any) -> None:
    from bot.pipeline import PipelineOptions

    bogus = MergedPR(number=99, sha="f" * 40, base="e" * 40, kind="squash", title="x", body="", author="a",
                     email="a@x.invalid", timestamp=0)
    rec = replay_mod.review_pr(pr_history.path, bogus, PipelineOptions())
    assert rec["action"] == "error" and "SourceError" in rec["error"]
    assert rec["baselines"] == {"small_change": False, "no_runtime_source": False}
    assert not replay_mod.approves(rec, QUORUM) and not replay_mod.approves(rec, "small_change")


# --- CLI ---------------------------------------------------------------------------------------


def _app() -> Any:
    import typer

    from bot.cli import replay_cmd

    app = typer.Typer()
    replay_cmd.register(app)
    app.command(name="noop")(lambda: None)  # keep "replay" a subcommand
    return app


def test_cli_json_and_jsonl(pr_history: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUORUM_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    res = runner.invoke(_app(), ["replay", "--repo", str(pr_history.path), "--limit", "4", "--format", "json",
                                 "--state", str(tmp_path / "s.jsonl")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["head_sha"] == pr_history.sha["head"] and len(data["records"]) == 4
    assert set(data["summary"]["systems"]) == {"quorum", "quorum_without_risk_gate", "quorum_gate_instead_of_wide_reach",
                                               "small_change", "no_runtime_source"}
    assert all("action_without_wide_reach" in r for r in data["records"])
    res = runner.invoke(_app(), ["replay", "--repo", str(pr_history.path), "--limit", "4", "--format", "jsonl",
                                 "--state", str(tmp_path / "s.jsonl")])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["type"] for x in lines] == ["pr"] * 4 + ["summary"]
    assert lines[-1]["reused_records"] == 4


def test_cli_text_and_default_state(pr_history: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUORUM_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(_app(), ["replay", "--repo", str(pr_history.path), "--since", "2024-02-01",
                                      "--until", "2024-02-20", "--format", "text"])
    assert res.exit_code == 0, res.output
    assert "auto-approve" in res.stdout and "small_change" in res.stdout
    # #5 (day 40) and #6 (day 50 = 2024-02-20 12:00: a bare --until date includes the whole day).
    assert "reviewed: 2" in res.stdout
    assert list((tmp_path / "cache" / "replay").glob("*.jsonl"))


def test_cli_errors_are_one_line(pr_history: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(_app(), ["replay", "--repo", str(pr_history.path), "--since", "last week", "--no-state"])
    assert res.exit_code == 2 and "quorum: error: not a date" in res.stderr
    res = runner.invoke(_app(), ["replay", "--repo", str(tmp_path), "--no-state"])
    assert res.exit_code == 2 and res.stderr.startswith("quorum: error:") and len(res.stderr.splitlines()) == 1


def test_parallel_replay_gives_the_serial_records(replayed: tuple[Any, Path, Any], tmp_path: Path) -> None:
    h, _, serial = replayed
    report = run_replay(ReplayConfig(repo=h.path, state_path=tmp_path / "p.jsonl", cache_dir=tmp_path / "cache", jobs=2))
    volatile = {"latency_ms", "review_ms", "history_ms"}

    def stable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in volatile} for r in records]

    assert stable(report.records) == stable(serial.records)
    assert report.summary["systems"] == serial.summary["systems"]
    lines = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert sum(x["type"] == "pr" for x in lines) == 13


def test_with_reverted_adds_the_reverted_prs_outside_the_rates(replayed: tuple[Any, Path, Any]) -> None:
    from bot.evals.history import find_merged_prs

    h, state, first = replayed
    prs = find_merged_prs(h.path)
    seed = next(s for s in range(100) if h.sha["pr2"] not in {p.sha for p in select_prs(prs, limit=None, sample=3, seed=s)})
    plain = run_replay(ReplayConfig(repo=h.path, state_path=state, sample=3, seed=seed))
    census = run_replay(ReplayConfig(repo=h.path, state_path=state, sample=3, seed=seed, with_reverted=True))
    assert census.reused == 4 and census.selection["reverted_added"] == 1
    added = [r for r in census.records if not r["in_sample"]]
    assert [r["number"] for r in added] == [2] and added[0]["reverted"]
    # Rates come from the sample alone; the census counts every reverted PR of the window.
    assert census.summary["systems"] == plain.summary["systems"] and census.summary["prs"] == 3
    c = census.summary["reverted_census"]
    assert c["reverted_eligible"] == 1
    assert c["approved"][QUORUM] == int(added[0]["action"] == "approve")
    assert c["approved"]["small_change"] == int(added[0]["baselines"]["small_change"])
    assert "reverted_census" not in plain.summary
