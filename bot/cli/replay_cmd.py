"""``quorum replay``: backtest the review pipeline over a local repository's merged pull requests.

Entry point: reads the environment only through :class:`bot.config.Settings` (the cache directory
where the code index and, by default, the resumable state file live). Exit status: 0 when the
replay ran (whatever the figures); 2 with a one-line error for bad input (not a repository, bad
date, unreadable policy, unwritable state file); 3 for an unexpected internal error.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import fail, make_console, read_policy_file, run_guarded
from bot.cli.progress import Progress


class ReplayFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


def register(app: typer.Typer) -> None:
    """Add the ``replay`` command to ``app``."""
    app.command(name="replay")(replay_command)


def replay_command(
    repo: Annotated[Path, typer.Option("--repo", help="Local clone whose merged PRs to replay.")] = Path("."),
    since: Annotated[str | None, typer.Option(help="Only PRs merged on or after this date (YYYY-MM-DD or ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Only PRs merged on or before this date (a date includes the whole day).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most N PRs (the newest of the selection).")] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="A random sample of N PRs of the window (see --seed).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    output_format: Annotated[ReplayFormat, typer.Option("--format", help="text, json (one object), jsonl (a line per PR, then the summary).")] = ReplayFormat.text,
    state: Annotated[Path | None, typer.Option("--state", help="Resumable state file (JSONL); default: in the cache directory.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML for every PR instead of its base .quorum.yml.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Review every PR again, ignoring results in the state file.")] = False,
    no_state: Annotated[bool, typer.Option("--no-state", help="Do not read or write a state file.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Review processes in parallel (each keeps one warm code index).")] = 1,
    risk_model: Annotated[Path | None, typer.Option("--risk-model", help="Risk model JSON for every PR instead of the repository's.")] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Give reviews no history (the risk gate is skipped).")] = False,
    with_reverted: Annotated[bool, typer.Option("--with-reverted", help="Also review every reverted PR of the window (reported apart; rates use the sample only).")] = False,
) -> None:
    """Replay merged PRs (squash `(#N)` and merge commits) through the policy; report approval and bad-approval rates."""
    run_guarded(
        lambda: _replay(repo, since, until, limit, sample, seed, output_format, state, policy, fresh, no_state, jobs,
                        risk_model, no_history, with_reverted)
    )


def parse_date(value: str, *, end_of_day: bool = False) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC, or the day's last second with ``end_of_day``) or ISO 8601 (naive = UTC).

    Raises ValueError with a one-line message for anything else.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD or ISO 8601)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end_of_day and len(value.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time.max, UTC).replace(microsecond=0)
    return parsed


def _replay(
    repo: Path,
    since: str | None,
    until: str | None,
    limit: int | None,
    sample: int | None,
    seed: int,
    output_format: ReplayFormat,
    state: Path | None,
    policy: Path | None,
    fresh: bool,
    no_state: bool,
    jobs: int = 1,
    risk_model: Path | None = None,
    no_history: bool = False,
    with_reverted: bool = False,
) -> None:
    from bot.cli.main import read_risk_model_file  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415
    from bot.evals.history import head_info  # noqa: PLC0415
    from bot.evals.replay import ReplayConfig, default_state_path, run_replay  # noqa: PLC0415
    from bot.policy import load_policy  # noqa: PLC0415

    try:
        since_dt = parse_date(since) if since else None
        until_dt = parse_date(until, end_of_day=True) if until else None
    except ValueError as exc:
        fail(str(exc))
    policy_text = read_policy_file(policy)
    risk_text = read_risk_model_file(risk_model)
    repo = repo.expanduser().resolve()
    if not repo.is_dir():
        fail(f"not a directory: {repo}")
    settings = Settings()
    if no_state:
        state_path = None
    elif state is not None:
        state_path = state.expanduser().resolve()
    else:
        head_sha, _ = head_info(repo)
        version = load_policy(policy_text, source="--policy").version
        state_path = default_state_path(settings.cache_dir, repo, head_sha, version)
    config = ReplayConfig(
        repo=repo, since=since_dt, until=until_dt, limit=limit, sample=sample, seed=seed, state_path=state_path,
        cache_dir=settings.cache_dir / "index", policy_text=policy_text, fresh=fresh, jobs=jobs,
        risk_model_text=risk_text, history=not no_history, with_reverted=with_reverted,
    )
    try:
        with Progress({"labels": "blaming fix PRs (SZZ)", "review": "reviewing PRs"}) as on_progress:
            report = run_replay(config, on_progress=on_progress)
    except OSError as exc:
        fail(f"cannot write state file {state_path}: {exc.strerror or exc}")
    if output_format is ReplayFormat.json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    elif output_format is ReplayFormat.jsonl:
        for rec in report.records:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        sys.stdout.write(json.dumps({"type": "summary", **report.as_dict(with_records=False)}, ensure_ascii=False) + "\n")
    else:
        print_replay(report, make_console())


def print_replay(report: Any, console: Any) -> None:
    """Print a :class:`bot.evals.replay.ReplayReport` as text: run facts, the side-by-side table of
    Quorum and the baselines, base rates, latency, hold-back reasons and the goal check."""
    from rich.table import Table  # noqa: PLC0415

    from bot.evals.stats import Rate  # noqa: PLC0415

    s = report.summary
    sel = report.selection

    def pct(d: dict[str, Any]) -> str:
        return Rate(k=d["k"], n=d["n"], low=d["low"], high=d["high"]).pct()

    console.print(f"[bold]quorum replay[/bold] {report.repo} @ {report.head_sha[:12]} ({report.head_date[:10]})")
    console.print(
        f"PRs in history: {sel['prs_in_history']}   in window: {sel['prs_in_window']}   reviewed: {sel['prs_reviewed']}"
        f" (reused from state: {report.reused})   errors: {s['errors']}   label-eligible: {s['eligible']}"
    )
    console.print(f"policy: {report.policy_version[:19]}   state: {report.state_path or '-'}")
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    table = Table(title="Auto-approval and bad approvals (Wilson 95%)", title_justify="left")
    for col in ("system", "auto-approve", "revert bad-approval", "SZZ bad-approval", "reverted PRs approved",
                "SZZ PRs approved"):
        table.add_column(col)
    for name, entry in s["systems"].items():
        table.add_row(
            name, pct(entry["auto_approve"]), pct(entry["revert_bad_approval"]), pct(entry["szz_bad_approval"]),
            pct(entry["revert_approved_share"]), pct(entry["szz_approved_share"]),
        )
    console.print(table)
    console.print("bad-approval = labelled / approved (label-eligible PRs); PRs approved = approved / labelled. "
                  + "; ".join(f"{name}: {entry['description']}" for name, entry in s["systems"].items()))
    console.print(f"base rates (eligible PRs): reverted {pct(s['base_rates']['revert'])}   SZZ {pct(s['base_rates']['szz'])}")
    lat = s["latency_ms"]
    console.print(f"review latency: p50 {lat['p50']} ms   p95 {lat['p95']} ms   (n={lat['n']})")
    console.print(f"actions: {json.dumps(s['actions'])}")
    if s["holdbacks"]:
        console.print("held back by (PRs, of which it was the only reason): " + ", ".join(
            f"{k} {v['prs']} ({v['only_reason']})" for k, v in s["holdbacks"].items()))
    if s["top_rules"]:
        console.print("most frequent findings: " + ", ".join(f"{k} {v}" for k, v in s["top_rules"].items()))
    console.print(f"labels: {json.dumps(s['labels'])}")
    risk = s.get("risk") or {}
    if risk.get("scored"):
        console.print(f"risk score: {risk['scored']} PRs scored; AUC szz {risk['auc']['szz']}, revert "
                      f"{risk['auc']['revert']}, either {risk['auc']['either']}")
        for p in risk.get("curve", []):
            console.print(f"  {p['label']}: approve {pct(p['auto_approve'])}, SZZ bad {pct(p['szz_bad_approval'])}, "
                          f"reverted approved {p['reverted_approved']}")
    census = s.get("reverted_census")
    if census:
        console.print(f"reverted PRs of the window (census, {census['reverted_eligible']} label-eligible): approved "
                      + ", ".join(f"{k} {v}" for k, v in census["approved"].items()))
    console.print(f"goal: {json.dumps(s['goal'])}")


__all__ = ["parse_date", "print_replay", "register", "replay_command"]
