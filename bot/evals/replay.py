"""History replay: a backtest of the review pipeline over a repository's merged pull requests.

Each merged PR (see :mod:`bot.evals.history`) is snapshotted from the local clone with
:class:`~bot.adapters.gitlocal.LocalGitSource` (base = first parent, head = the squash or merge
commit, the PR's title and body) and reviewed offline with :func:`bot.pipeline.run_review`.
The naive baselines (:mod:`bot.evals.baselines`) judge the same diffs. Labels
(:mod:`bot.evals.labels`) say which PRs were reverted later or blamed by SZZ; the summary gives
for Quorum and each baseline the auto-approve rate and the bad-approval rate per label
(P(label | approved), among PRs old enough to be labelled) with Wilson 95% intervals, and the
review latency p50/p95.

Resumable: every reviewed PR (and every blamed fix PR) is appended as one JSON line to a state
file; records carry a key (``<repo HEAD>:<policy version>:<engine>``, fixes:
``<repo HEAD>:<engine>``, where ``<engine>`` fingerprints Quorum's own code, see
:func:`engine_fingerprint`) and a rerun reuses the records whose key matches, so an interrupted
run continues where it stopped, and a changed rule or agent never reuses stale results. A torn
last line (killed mid-write) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.evals.baselines import BASELINE_DESCRIPTIONS, BASELINES
from bot.evals.history import MergedPR, find_merged_prs, head_info
from bot.evals.labels import DAY, WINDOW_DAYS, YOUNG_DAYS, FixInfo, Labels, compute_labels, revert_labels
from bot.evals.stats import Rate, percentile, rate

STATE_VERSION = 1
MAX_FINDINGS_PER_RECORD = 200
QUORUM = "quorum"
QUORUM_NO_RISK = "quorum_without_risk_gate"
QUORUM_GATE_FOR_REACH = "quorum_gate_instead_of_wide_reach"
LABELS = ("revert", "szz")

ProgressFn = Callable[[str, int, int], None]
"""``(phase, done, total)``; phases ``"labels"`` and ``"review"``."""


@dataclass
class ReplayConfig:
    """What to replay.

    ``since``/``until``: merge-time window (inclusive). ``sample``: a random sample of that many
    PRs of the window (``random.Random(seed)``); ``limit``: at most that many PRs (the newest ones,
    applied after sampling). ``state_path``: the JSONL state file (None: nothing persisted).
    ``cache_dir``: the code-index cache. ``policy_text``: a policy for every PR instead of its
    base ``.quorum.yml``. ``fresh``: ignore records already in the state file. ``jobs``: review
    processes (1: in this process); each process keeps one warm code index (``WarmIndex``).
    ``risk_model_text``: a risk model for every PR (``--risk-model``); ``history``: give reviews
    the repository's history (the risk gate), cached in ``<cache_dir>/history.sqlite``.
    ``with_reverted``: also review every PR of the window that a later commit reverted (a census
    of the reverted PRs, which a sample holds too few of to compare systems on); those not drawn
    by the sample get ``in_sample: false`` and stay out of every rate of the summary, which
    reports them apart (``reverted_census``).
    """

    repo: Path
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    state_path: Path | None = None
    cache_dir: Path | None = None
    policy_text: str | None = None
    fresh: bool = False
    jobs: int = 1
    young_days: int = YOUNG_DAYS
    window_days: int = WINDOW_DAYS
    risk_model_text: str | None = None
    history: bool = True
    with_reverted: bool = False


@dataclass
class ReplayReport:
    """A finished replay: the run's facts, one record per PR (labels included) and the summary."""

    repo: str
    head_sha: str
    head_date: str
    policy_version: str
    key: str
    state_path: str | None
    selection: dict[str, Any]
    records: list[dict[str, Any]]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    reused: int = 0

    def as_dict(self, *, with_records: bool = True) -> dict[str, Any]:
        """JSON-able dict; ``with_records=False`` leaves out the per-PR records."""
        out: dict[str, Any] = {
            "repo": self.repo, "head_sha": self.head_sha, "head_date": self.head_date,
            "policy_version": self.policy_version, "key": self.key, "state_path": self.state_path,
            "selection": self.selection, "reused_records": self.reused, "notes": self.notes,
            "summary": self.summary,
        }
        if with_records:
            out["records"] = self.records
        return out


def select_prs(prs: Sequence[MergedPR], *, limit: int | None, sample: int | None, seed: int) -> list[MergedPR]:
    """The PRs to review, newest first: a seeded random sample of ``sample`` (all when None or
    larger than the pool), then the newest ``limit`` of those."""
    chosen = list(prs)
    if sample is not None and sample < len(chosen):
        picked = set(p.sha for p in random.Random(seed).sample(chosen, sample))
        chosen = [p for p in chosen if p.sha in picked]
    chosen.sort(key=lambda p: p.timestamp, reverse=True)
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


def add_reverted(chosen: Sequence[MergedPR], window: Sequence[MergedPR],
                 reverted: dict[str, list[str]]) -> tuple[list[MergedPR], set[str]]:
    """``chosen`` plus every PR of ``window`` in ``reverted`` (PR SHA -> reverting SHAs) that it
    lacks, newest first, and the SHAs so added."""
    have = {p.sha for p in chosen}
    added = [p for p in window if p.sha in reverted and p.sha not in have]
    out = [*chosen, *added]
    out.sort(key=lambda p: p.timestamp, reverse=True)
    return out, {p.sha for p in added}


def reverted_census(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Over every label-eligible reverted PR among ``records`` (sampled or added by
    ``with_reverted``): how many there are and how many each system approved (``approved``:
    system -> count)."""
    rev = [r for r in records if r.get("eligible") and r.get("reverted")]
    systems = [QUORUM, QUORUM_NO_RISK, *BASELINES]
    if any("action_without_wide_reach" in r for r in records):
        systems.insert(2, QUORUM_GATE_FOR_REACH)
    return {"reverted_eligible": len(rev), "approved": {s: sum(approves(r, s) for r in rev) for s in systems}}


def state_key(head_sha: str, policy_version: str, engine: str = "") -> str:
    """The resume key of PR records: ``<HEAD SHA>:<policy version>:<engine fingerprint>``."""
    return f"{head_sha}:{policy_version}:{engine}"


def engine_fingerprint() -> str:
    """The first 16 hex digits of SHA-256 over Quorum's own source and rule files (``bot``,
    ``subagents``, ``rules``: ``*.py``, ``*.yml``, ``*.yaml``, ``*.scm``, ``*.json``, ``*.md``),
    by relative path and content. Any code or rule change gives a new fingerprint."""
    import bot  # noqa: PLC0415
    import rules  # noqa: PLC0415
    import subagents  # noqa: PLC0415

    h = hashlib.sha256()
    for package in (bot, subagents, rules):
        root = Path(package.__file__).resolve().parent
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".py", ".yml", ".yaml", ".scm", ".md", ".json"}
                       and "__pycache__" not in p.parts)
        for path in files:
            h.update(f"{package.__name__}/{path.relative_to(root).as_posix()}".encode())
            h.update(b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def default_state_path(cache_dir: Path, repo: Path, head_sha: str, policy_version: str) -> Path:
    """``<cache_dir>/replay/<repo hash>-<head[:12]>-<policy hash[:12]>.jsonl``."""
    repo_hash = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:12]
    pol = policy_version.split(":")[-1][:12]
    return cache_dir / "replay" / f"{repo_hash}-{head_sha[:12]}-{pol}.jsonl"


def load_state(path: Path | None, key: str, fix_key: str) -> tuple[dict[str, dict[str, Any]], dict[str, FixInfo]]:
    """``(PR records by SHA, fix infos by SHA)`` from a state file, keeping only records whose key
    matches (``key`` for PR records, ``fix_key`` for fixes). Unparseable lines are skipped (a run
    killed mid-write leaves a torn last line). Missing file: empty."""
    prs: dict[str, dict[str, Any]] = {}
    fixes: dict[str, FixInfo] = {}
    if path is None or not path.exists():
        return prs, fixes
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(rec, dict) or rec.get("v") != STATE_VERSION:
                continue
            if rec.get("type") == "pr" and rec.get("key") == key and isinstance(rec.get("sha"), str):
                prs[rec["sha"]] = rec
            elif rec.get("type") == "fix" and rec.get("key") == fix_key and isinstance(rec.get("fix"), dict):
                try:
                    info = FixInfo.from_dict(rec["fix"])
                except TypeError:
                    continue
                fixes[info.sha] = info
    return prs, fixes


class StateWriter:
    """Appends records to the state file, one JSON line each, flushed at once (None: no file)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, record: dict[str, Any]) -> None:
        """Write ``record`` (plus ``"v"``) as one line; raises OSError when the file is not writable."""
        if self.path is None:
            return
        line = json.dumps({"v": STATE_VERSION, **record}, ensure_ascii=False, separators=(",", ":"))
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def review_pr(repo: Path, pr: MergedPR, options: Any, *, full_findings: bool = False) -> dict[str, Any]:
    """Review one merged PR; return its record (decision, verdicts, findings, baselines, latency).

    ``options`` is a :class:`bot.pipeline.PipelineOptions`. ``full_findings``: keep every finding
    with its stable ``id`` and ``message`` (the findings suite labels them), not just the first
    ``MAX_FINDINGS_PER_RECORD`` locations. A PR that cannot be snapshotted or
    reviewed gets ``action = "error"`` and ``error`` (never an approval, for Quorum or baselines).
    """
    from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415
    from bot.pipeline import run_review  # noqa: PLC0415

    rec: dict[str, Any] = {
        "type": "pr", "sha": pr.sha, "base": pr.base, "number": pr.number, "kind": pr.kind, "title": pr.title,
        "author": pr.author, "timestamp": pr.timestamp,
    }
    t0 = time.perf_counter()
    try:
        outcome = run_review(LocalGitSource(
            repo, base=pr.base, head=pr.sha, title=pr.title, body=pr.body, author=pr.author, number=pr.number,
            description_known=False,
        ), options)
    except Exception as exc:  # noqa: BLE001 - one PR that cannot be reviewed is recorded, never approved
        rec.update(action="error", error=f"{type(exc).__name__}: {exc}"[:500], latency_ms=None,
                   baselines={name: False for name in BASELINES})
        return rec
    result, snapshot = outcome.result, outcome.snapshot
    latency = round((time.perf_counter() - t0) * 1000, 2)
    findings = [f for v in result.verdicts for f in v.findings]
    risk = result.risk or {}
    rec.update(
        risk_status=risk.get("status"), risk_probability=risk.get("probability"),
        risk_threshold=_risk_threshold(result), risk_top=[f["text"] for f in risk.get("top", [])],
        risk_features=risk.get("features") or None, history_ms=result.timings.history_ms,
        action_without_risk=_action_without_risk(snapshot, result, options),
        action_without_wide_reach=_action_without_wide_reach(snapshot, result, options),
    )
    rec.update(
        action=result.decision.action.value,
        error=None,
        reasons=[r.rule_id for r in result.decision.reasons],
        reason_messages=[f"{r.rule_id}: {r.message}"[:300] for r in result.decision.reasons],
        statuses={v.agent: v.status.value for v in result.verdicts},
        agent_errors={v.agent: v.error for v in result.verdicts if v.error},
        findings=[
            {"rule_id": f.rule_id, "agent": f.agent, "severity": f.severity.value, "path": f.path,
             "line": f.line, "end_line": f.end_line,
             **({"id": f.id, "message": f.message} if full_findings else {})}
            for f in (findings if full_findings else findings[:MAX_FINDINGS_PER_RECORD])
        ],
        finding_count=len(findings),
        stats=result.diff_stats,
        truncated=snapshot.diff.truncated,
        baselines={name: fn(snapshot.diff) for name, fn in BASELINES.items()},
        latency_ms=latency,
        review_ms=result.timings.total_ms,
    )
    return rec


def _risk_threshold(result: Any) -> float | None:
    tree = result.decision.tree
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        if node.rule_id == "risk.probability":
            return node.details.get("threshold")
        stack.extend(node.children)
    return None


def _action_without_risk(snapshot: Any, result: Any, options: Any) -> str:
    """The decision the same review would have had without the risk gate (policy re-evaluated on
    the same verdicts with no risk assessment)."""
    from bot.policy import PolicyInput, evaluate, load_policy  # noqa: PLC0415

    text = options.policy_text if options.policy_text is not None else snapshot.policy_text
    policy = load_policy(text, source="policy")
    return evaluate(policy, PolicyInput(pr=snapshot.pr, diff=snapshot.diff, verdicts=result.verdicts)).action.value


def _action_without_wide_reach(snapshot: Any, result: Any, options: Any) -> str:
    """The decision with ``paths/wide-reach`` dropped from ``auto_approve.hold_rules`` and the
    risk gate kept (same verdicts and assessment, policy re-evaluated): what the policy decides
    when the risk model, which counts those findings as a feature, does the holding instead."""
    from bot.policy import PolicyInput, evaluate, load_policy  # noqa: PLC0415
    from bot.risk.assess import RiskAssessment  # noqa: PLC0415

    text = options.policy_text if options.policy_text is not None else snapshot.policy_text
    policy = load_policy(text, source="policy")
    aa = policy.auto_approve.model_copy(
        update={"hold_rules": [r for r in policy.auto_approve.hold_rules if r.lower() != "paths/wide-reach"]})
    risk = RiskAssessment.model_validate(result.risk) if result.risk is not None else None
    facts = PolicyInput(pr=snapshot.pr, diff=snapshot.diff, verdicts=result.verdicts, risk=risk)
    return evaluate(policy.model_copy(update={"auto_approve": aa}), facts).action.value


_WORKER: dict[str, Any] = {}
"""Per-process state of a replay worker: the repository and its PipelineOptions (with the
process's one warm index). Set by :func:`_init_worker`; a process reviews one repository."""


def _worker_options(policy_text: str | None, cache_dir: Path | None, agent_names: list[str] | None,
                    index_workers: int | None, repo: Path | None = None, risk_model_text: str | None = None) -> Any:
    """PipelineOptions for a process that reviews PR after PR: one warm index (``WarmIndex``);
    with ``repo``, the repository's history for the risk gate (and ``risk_model_text``)."""
    from bot.codeindex.warm import WarmIndex  # noqa: PLC0415
    from bot.pipeline import PipelineOptions  # noqa: PLC0415
    from subagents import default_agents  # noqa: PLC0415

    options = PipelineOptions(policy_text=policy_text, cache_dir=cache_dir, index_builder=WarmIndex(workers=index_workers))
    if agent_names is not None:
        options.agents = default_agents(agent_names)
    options.risk_model_text = risk_model_text
    if repo is not None:
        from bot.history.cache import HistoryCache  # noqa: PLC0415
        from bot.history.gitlog import LocalHistory  # noqa: PLC0415

        options.history = LocalHistory(repo, HistoryCache(cache_dir / "history.sqlite" if cache_dir else None))
    return options


def _init_worker(repo: str, policy_text: str | None, cache_dir: Path | None, agent_names: list[str] | None,
                 index_workers: int | None, history: bool = True, risk_model_text: str | None = None) -> None:
    """ProcessPool initializer: set up this worker process for :func:`_review_in_worker`."""
    _WORKER.clear()
    _WORKER.update(repo=Path(repo), options=_worker_options(policy_text, cache_dir, agent_names, index_workers,
                                                            Path(repo) if history else None, risk_model_text))


def _review_in_worker(pr: MergedPR) -> dict[str, Any]:
    """Review one PR with this process's options (see :func:`_init_worker`)."""
    return review_pr(_WORKER["repo"], pr, _WORKER["options"])


def _review_parallel(config: ReplayConfig, todo: list[tuple[int, MergedPR]], agent_names: list[str] | None,
                     record: Callable[[int, dict[str, Any]], None]) -> None:
    """Review ``todo`` in ``config.jobs`` worker processes (spawned, so no lock or thread of this
    process is inherited), each with one warm index parsing in process; ``record(i, rec)`` is
    called in this process as each review finishes. A worker that dies turns its PRs into
    ``action = "error"`` records (never approvals)."""
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: PLC0415

    with ProcessPoolExecutor(
        max_workers=config.jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
        initargs=(str(config.repo), config.policy_text, config.cache_dir, agent_names, 0, config.history,
                  config.risk_model_text),
    ) as pool:
        futures = {pool.submit(_review_in_worker, pr): (i, pr) for i, pr in todo}
        for future in as_completed(futures):
            i, pr = futures[future]
            try:
                rec = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is an error record, never an approval
                rec = {"type": "pr", "sha": pr.sha, "base": pr.base, "number": pr.number, "kind": pr.kind,
                       "title": pr.title, "author": pr.author, "timestamp": pr.timestamp, "action": "error",
                       "error": f"{type(exc).__name__}: {exc}"[:500], "latency_ms": None,
                       "baselines": {name: False for name in BASELINES}}
            record(i, rec)


def approves(record: dict[str, Any], system: str) -> bool:
    """Whether ``system`` (``"quorum"`` or a baseline name) approved the PR of ``record``."""
    if record.get("action") == "error":
        return False
    if system == QUORUM:
        return record.get("action") == "approve"
    if system == QUORUM_NO_RISK:
        return record.get("action_without_risk", record.get("action")) == "approve"
    if system == QUORUM_GATE_FOR_REACH:
        return record.get("action_without_wide_reach", record.get("action")) == "approve"
    return bool(record.get("baselines", {}).get(system))


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Summary figures over labelled records (each with ``eligible``, ``reverted``, ``szz`` booleans).

    Per system (``quorum`` and each baseline): ``auto_approve`` (approved / reviewed), and per label
    ``bad_approval`` (labelled / approved, among eligible PRs) and ``bad_share_approved``
    (approved / labelled, among eligible PRs); ``base_rates`` per label over eligible PRs;
    ``latency_ms`` p50/p95 over Quorum's reviews; ``holdbacks``: how often each policy reason held a
    PR back and how often it was the only one; ``agents``: status counts; ``top_rules``: the most
    frequent finding rule ids; ``goal``: the issue's targets checked.
    """
    n = len(records)
    eligible = [r for r in records if r.get("eligible")]
    systems = [QUORUM, QUORUM_NO_RISK, *BASELINES]
    if any("action_without_wide_reach" in r for r in records):
        systems.insert(2, QUORUM_GATE_FOR_REACH)
    out: dict[str, Any] = {"prs": n, "errors": sum(r.get("action") == "error" for r in records),
                           "eligible": len(eligible), "systems": {}}
    base: dict[str, Rate] = {}
    for label in LABELS:
        base[label] = rate(sum(bool(r.get(_flag(label))) for r in eligible), len(eligible))
    out["base_rates"] = {label: base[label].as_dict() for label in LABELS}
    for system in systems:
        approved = [r for r in records if approves(r, system)]
        approved_el = [r for r in approved if r.get("eligible")]
        entry: dict[str, Any] = {
            "description": SYSTEM_DESCRIPTIONS.get(system) or BASELINE_DESCRIPTIONS[system],
            "auto_approve": rate(len(approved), n).as_dict(),
        }
        for label in LABELS:
            flagged = [r for r in eligible if r.get(_flag(label))]
            entry[f"{label}_bad_approval"] = rate(sum(bool(r.get(_flag(label))) for r in approved_el), len(approved_el)).as_dict()
            entry[f"{label}_approved_share"] = rate(sum(approves(r, system) for r in flagged), len(flagged)).as_dict()
        out["systems"][system] = entry
    lat = [float(r["latency_ms"]) for r in records if r.get("latency_ms") is not None]
    out["latency_ms"] = {"p50": _round(percentile(lat, 50)), "p95": _round(percentile(lat, 95)), "n": len(lat)}
    held = [r for r in records if r.get("action") not in ("approve", "error")]
    reasons = Counter(x for r in held for x in set(r.get("reasons", [])))
    sole = Counter(r["reasons"][0] for r in held if len(set(r.get("reasons", []))) == 1)
    out["actions"] = dict(Counter(r.get("action") for r in records))
    out["holdbacks"] = {k: {"prs": v, "only_reason": sole.get(k, 0)} for k, v in reasons.most_common()}
    statuses: dict[str, Counter[str]] = {}
    for r in records:
        for agent, status in r.get("statuses", {}).items():
            statuses.setdefault(agent, Counter())[status] += 1
    out["agents"] = {a: dict(c) for a, c in statuses.items()}
    out["top_rules"] = dict(Counter(f["rule_id"] for r in records for f in r.get("findings", [])).most_common(15))
    out["goal"] = goal_check(out)
    from bot.evals.riskeval import risk_summary  # noqa: PLC0415

    out["risk"] = risk_summary(records)
    return out


SYSTEM_DESCRIPTIONS = {
    QUORUM: "Quorum (policy + sub-agents + history risk gate)",
    QUORUM_NO_RISK: "Quorum without the risk gate (same verdicts, policy re-evaluated)",
    QUORUM_GATE_FOR_REACH: "Quorum with paths/wide-reach dropped from the hold rules, the risk gate kept "
                           "(same verdicts and risk, policy re-evaluated)",
}


def _flag(label: str) -> str:
    return "reverted" if label == "revert" else "szz"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def goal_check(summary: dict[str, Any]) -> dict[str, Any]:
    """The issue's goal on one summary, from point estimates (None: no data to decide).

    ``auto_approve_at_least_30pct``; ``revert_below_half_base`` (Quorum's revert bad-approval rate
    below half the base revert rate; None when the base rate is 0); ``szz_at_most_0_5pct``; and per
    baseline ``more_approvals`` plus ``revert``/``szz``: Quorum's bad-approval rate compared with
    the baseline's, ``"lower"``, ``"equal"`` or ``"higher"``.
    """
    q = summary["systems"][QUORUM]
    aa = q["auto_approve"]["rate"]
    rev = q["revert_bad_approval"]["rate"]
    szz = q["szz_bad_approval"]["rate"]
    base_rev = summary["base_rates"]["revert"]["rate"]
    out: dict[str, Any] = {
        "auto_approve_at_least_30pct": None if aa is None else aa >= 0.30,
        "revert_below_half_base": None if rev is None or not base_rev else rev < base_rev / 2,
        "szz_at_most_0_5pct": None if szz is None else szz <= 0.005,
    }
    for name in BASELINES:
        b = summary["systems"][name]
        ba = b["auto_approve"]["rate"]
        entry: dict[str, Any] = {"more_approvals": None if aa is None or ba is None else aa > ba}
        for label in LABELS:
            qb, bb = q[f"{label}_bad_approval"]["rate"], b[f"{label}_bad_approval"]["rate"]
            entry[label] = None if qb is None or bb is None else _compare(qb, bb)
        out[f"vs_{name}"] = entry
    return out


def _compare(a: float, b: float) -> str:
    if abs(a - b) < 1e-12:
        return "equal"
    return "lower" if a < b else "higher"


def label_records(records: Sequence[dict[str, Any]], labels: Labels, prs: dict[str, MergedPR]) -> None:
    """Add ``eligible``, ``reverted``, ``reverted_by``, ``szz``, ``szz_fixes`` to each record in place."""
    for rec in records:
        pr = prs.get(rec["sha"])
        rec["eligible"] = bool(pr is not None and labels.eligible(pr))
        rec["reverted"] = labels.is_reverted(rec["sha"])
        rec["reverted_by"] = labels.reverted.get(rec["sha"], [])
        rec["szz"] = labels.is_szz(rec["sha"])
        rec["szz_fixes"] = labels.szz.get(rec["sha"], [])


def run_replay(config: ReplayConfig, *, on_progress: ProgressFn | None = None) -> ReplayReport:
    """Replay ``config.repo``'s merged PRs; see the module docstring.

    Raises SourceError (not a repository, unknown HEAD), PolicyError (invalid ``policy_text``) and
    OSError (state file not writable).
    """
    from bot.evals.runner import available_agents  # noqa: PLC0415
    from bot.policy import load_policy  # noqa: PLC0415

    repo = config.repo
    head_sha, head_ts = head_info(repo)
    policy_version = load_policy(config.policy_text, source="--policy").version
    engine = engine_fingerprint()
    if config.risk_model_text is not None:
        policy_version += ":risk-" + hashlib.sha256(config.risk_model_text.encode()).hexdigest()[:12]
    if not config.history:
        policy_version += ":no-history"
    key = state_key(head_sha, policy_version, engine)
    fix_key = f"{head_sha}:{engine}"
    all_prs = find_merged_prs(repo, ref=head_sha)
    window = [p for p in all_prs if _within(p, config.since, config.until)]
    chosen = select_prs(window, limit=config.limit, sample=config.sample, seed=config.seed)
    extra: set[str] = set()
    if config.with_reverted:
        chosen, extra = add_reverted(chosen, window, revert_labels(repo, all_prs, head_sha))
    done, fix_cache = ({}, {}) if config.fresh else load_state(config.state_path, key, fix_key)
    writer = StateWriter(config.state_path)
    notes: list[str] = []

    def fix_done(info: FixInfo) -> None:
        writer.append({"type": "fix", "key": fix_key, "fix": info.as_dict()})

    labels = compute_labels(
        repo, all_prs, head_sha=head_sha, head_timestamp=head_ts, candidates=chosen, fix_cache=fix_cache,
        window_days=config.window_days, young_days=config.young_days, on_fix=fix_done,
        on_progress=(lambda d, t: on_progress("labels", d, t)) if on_progress else None,
    )
    present, missing = available_agents()
    if missing:
        notes.append(
            f"agent(s) {', '.join(missing)} do not exist yet: reviews ran without them, so the policy holds "
            "back every approval (missing verdict)"
        )
    by_index: dict[int, dict[str, Any]] = {}
    todo: list[tuple[int, MergedPR]] = []
    for i, pr in enumerate(chosen):
        rec = done.get(pr.sha)
        if rec is None:
            todo.append((i, pr))
        else:
            by_index[i] = dict(rec)
    reused = len(by_index)
    finished = [reused]

    def record(i: int, rec: dict[str, Any]) -> None:
        rec["key"] = key
        writer.append(rec)
        by_index[i] = dict(rec)
        finished[0] += 1
        if on_progress:
            on_progress("review", finished[0], len(chosen))

    agent_names = present if missing else None
    if config.jobs > 1 and len(todo) > 1:
        _review_parallel(config, todo, agent_names, record)
    else:
        options = _worker_options(config.policy_text, config.cache_dir, agent_names, None,
                                  repo if config.history else None, config.risk_model_text)
        for i, pr in todo:
            record(i, review_pr(repo, pr, options))
    records = [by_index[i] for i in range(len(chosen))]
    by_sha = {p.sha: p for p in all_prs}
    label_records(records, labels, by_sha)
    for rec in records:
        rec["in_sample"] = rec["sha"] not in extra
    summary = summarize([r for r in records if r["in_sample"]])
    if config.with_reverted:
        summary["reverted_census"] = reverted_census(records)
    summary["labels"] = {
        "fix_prs": len(labels.fixes),
        "fix_prs_blaming": sum(bool(f.blamed) for f in labels.fixes),
        "reverted_prs_in_history": len(labels.reverted),
        "young_days": labels.young_days,
        "window_days": labels.window_days,
    }
    young = sum(not r["eligible"] for r in records)
    if young:
        notes.append(f"{young} PR(s) merged less than {config.young_days} days before HEAD: in approval rates, "
                     "not in label statistics")
    return ReplayReport(
        repo=str(repo), head_sha=head_sha, head_date=datetime.fromtimestamp(head_ts, UTC).isoformat(),
        policy_version=policy_version, key=key,
        state_path=str(config.state_path) if config.state_path else None,
        selection={
            "since": config.since.isoformat() if config.since else None,
            "until": config.until.isoformat() if config.until else None,
            "limit": config.limit, "sample": config.sample, "seed": config.seed,
            "with_reverted": config.with_reverted, "reverted_added": len(extra),
            "prs_in_history": len(all_prs), "prs_in_window": len(window), "prs_reviewed": len(chosen),
        },
        records=records, summary=summary, notes=notes, reused=reused,
    )


def _within(pr: MergedPR, since: datetime | None, until: datetime | None) -> bool:
    def ts(d: datetime) -> float:
        return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()

    if since is not None and pr.timestamp < ts(since):
        return False
    return not (until is not None and pr.timestamp > ts(until))


__all__ = [
    "DAY", "LABELS", "QUORUM", "STATE_VERSION", "ProgressFn", "ReplayConfig", "ReplayReport", "StateWriter",
    "add_reverted", "approves", "default_state_path", "engine_fingerprint", "goal_check", "label_records", "load_state", "reverted_census", "review_pr", "run_replay",
    "select_prs", "state_key", "summarize",
]
