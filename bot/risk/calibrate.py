"""``quorum calibrate``: fit a risk model on a repository's own merged pull requests.

1. **Cut-off.** With ``until``, the repository is read as of the last first-parent commit merged
   on or before that date: PRs, labels and history after it do not exist for the fit.
2. **Labels** exactly as ``quorum replay`` makes them (:func:`bot.evals.labels.compute_labels`):
   a PR is bad when a later commit reverted it or SZZ blamed a later fix on it (within 365
   days); PRs younger than 90 days at the cut-off are left out (their fixes may not exist yet).
3. **Features**: :func:`bot.history.facts.compute_facts` at each PR's base (its first parent),
   so no PR sees history after its own base; with a ``review`` (``--with-findings``), also
   Quorum's findings on the PR counted by registry tag (an offline review of base..head).
4. **Fit**: L2-regularised logistic regression (scikit-learn, the ``calibrate`` extra), features
   transformed (``log1p`` for counts) and standardised; ``C`` chosen by 5-fold stratified
   cross-validated AUC. The model file holds plain numbers (:mod:`bot.risk.model`).
5. **Threshold** (:mod:`bot.risk.threshold`), among the PRs within the default size caps
   (<= 200 changed lines, <= 10 files: the only ones an approval is possible for): a model with
   the same settings, fitted on the earlier PRs, scores a validation fold of 25% of the PRs (of
   each repository, when several are pooled): the latest of those merged at least 365 days before
   the cut-off, whose labels are complete (the latest 25% when too few are that old);
   on those scores, the largest pass share whose bad rate is consistent with
   ``target_bad_rate`` (the lower end of its Wilson 95% interval is at most the target), and at
   least ``min_pass_share`` (0.5: the gate holds back at most the riskiest half). The
   threshold (``proposed_max_probability``) is the shipped model's score at that share among the
   same latest PRs, so it is on the shipped model's scale. How it was chosen is kept in
   ``metrics.threshold``; the cross-validated curve (threshold -> pass rate, bad rate) in
   ``metrics.curve``.

Raises :class:`CalibrateError` (one line) for bad input and when scikit-learn is missing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.history.features import FEATURES
from bot.risk.threshold import MIN_PASS_SHARE

ProgressFn = Callable[[str, int, int], None]
"""``(phase, done, total)``; phases ``labels``, ``features``, ``fit``."""

SIZE_CAP_LINES = 200
SIZE_CAP_FILES = 10
DEFAULT_TARGET = 0.005
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
MIN_POSITIVES = 5


class CalibrateError(ValueError):
    """Calibration cannot run (bad input, too few labelled PRs, scikit-learn missing)."""


@dataclass
class Example:
    """One labelled PR: its SHA, number, merge time, size, features and label (1 = bad)."""

    sha: str
    number: int
    timestamp: int
    repo: str
    changed_lines: int
    files: int
    features: dict[str, float]
    where: dict[str, str] = field(default_factory=dict)
    label: int = 0
    reverted: bool = False
    szz: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (dataset dumps)."""
        return dict(self.__dict__)


def cutoff_head(repo: str | Path, until: datetime | None) -> tuple[str, int]:
    """``(SHA, committer time)`` of the last first-parent commit of HEAD merged on or before
    ``until`` (HEAD itself without one). Raises CalibrateError when there is none."""
    from bot.adapters.gitlocal import Git  # noqa: PLC0415

    args = ["log", "-1", "--first-parent", "--format=%H %ct"]
    if until is not None:
        args.append("--before=" + until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    out = Git(repo).run(*args, "HEAD", "--").decode().split()
    if len(out) != 2:
        raise CalibrateError(f"no commit on or before {until.isoformat() if until else 'HEAD'} in {repo}")
    return out[0], int(out[1])


def build_dataset(
    repo: str | Path,
    *,
    until: datetime | None = None,
    since: datetime | None = None,
    sample: int | None = None,
    seed: int = 0,
    cache_path: Path | None = None,
    on_progress: ProgressFn | None = None,
    review: Callable[[Path, Any], dict[str, float]] | None = None,
) -> tuple[list[Example], dict[str, Any]]:
    """Labelled examples of ``repo``'s label-eligible merged PRs (see the module docstring) and a
    description of the window. ``sample``: a seeded random sample of that many eligible PRs.
    ``review``: ``(repo, MergedPR) -> features`` run for each PR (see :func:`review_features`),
    whose values join the history facts (Quorum's findings counted by registry tag).
    A PR whose diff or history git cannot read (a missing object) is left out and its number
    listed in the window's ``unreadable_prs``. Raises SourceError when git fails otherwise and
    CalibrateError when there is nothing to label (or nothing readable)."""
    from bot.adapters.gitlocal import Git  # noqa: PLC0415
    from bot.core.diff import parse_diff  # noqa: PLC0415
    from bot.core.errors import SourceError  # noqa: PLC0415
    from bot.evals.history import find_merged_prs  # noqa: PLC0415
    from bot.evals.labels import DAY, YOUNG_DAYS, compute_labels  # noqa: PLC0415
    from bot.history.cache import HistoryCache  # noqa: PLC0415
    from bot.history.facts import compute_facts  # noqa: PLC0415
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    head, head_ts = cutoff_head(repo, until)
    prs = find_merged_prs(repo, ref=head, since=since)
    eligible = [p for p in prs if head_ts - p.timestamp >= YOUNG_DAYS * DAY]
    if not eligible:
        raise CalibrateError(f"no merged PR at least {YOUNG_DAYS} days older than {head[:12]} in {repo}")
    chosen = eligible
    if sample is not None and sample < len(chosen):
        chosen = random.Random(seed).sample(chosen, sample)
    chosen.sort(key=lambda p: p.timestamp)
    all_prs = find_merged_prs(repo, ref=head)
    labels = compute_labels(
        repo, all_prs, head_sha=head, head_timestamp=head_ts, candidates=chosen,
        on_progress=(lambda d, t: on_progress("labels", d, t)) if on_progress else None,
    )
    history = LocalHistory(repo, HistoryCache(cache_path))
    git = Git(repo)
    examples: list[Example] = []
    unreadable: list[int] = []
    try:
        for i, pr in enumerate(chosen):
            try:
                raw = git.run(
                    "diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
                    "--src-prefix=a/", "--dst-prefix=b/", pr.base, pr.sha, "--", max_bytes=16 * 1024 * 1024,
                ).decode("utf-8", "surrogateescape")
                diff = parse_diff(raw)
                facts = compute_facts(diff, pr.author, pr.base, history)
            except SourceError:
                # An object git cannot read (a mirror missing a blob): this PR is left out of the
                # fit and named in the window, rather than the whole calibration stopping.
                unreadable.append(pr.number)
                if on_progress:
                    on_progress("features", i + 1, len(chosen))
                continue
            features = dict(facts.features)
            if review is not None:
                features.update(review(Path(repo), pr))
            rev, szz = labels.is_reverted(pr.sha), labels.is_szz(pr.sha)
            examples.append(Example(
                sha=pr.sha, number=pr.number, timestamp=pr.timestamp, repo=str(repo),
                changed_lines=diff.changed_lines, files=len(diff.files), features=features,
                where=facts.where, label=int(rev or szz), reverted=rev, szz=szz,
            ))
            if on_progress:
                on_progress("features", i + 1, len(chosen))
    finally:
        history.close()
    if not examples:
        raise CalibrateError(f"git could not read any of the {len(chosen)} labelled PRs of {repo}")
    window = {
        "repo": str(repo), "head_sha": head, "head_date": datetime.fromtimestamp(head_ts, UTC).isoformat(),
        "until": until.isoformat() if until else None, "since": since.isoformat() if since else None,
        "first_pr": datetime.fromtimestamp(chosen[0].timestamp, UTC).isoformat(),
        "last_pr": datetime.fromtimestamp(chosen[-1].timestamp, UTC).isoformat(),
        "eligible_prs": len(eligible), "prs": len(examples), "sample": sample, "seed": seed,
        "unreadable_prs": unreadable,
        "positives": sum(e.label for e in examples), "reverted": sum(e.reverted for e in examples),
        "szz": sum(e.szz for e in examples),
    }
    return examples, window


def review_features(repo: Path, pr: Any, options: Any = None) -> dict[str, float]:
    """Review merged PR ``pr`` (a :class:`bot.evals.history.MergedPR`) offline as ``quorum
    replay`` does, without the risk gate, and return its findings counted by registry tag
    (:func:`bot.risk.step.findings_features`). ``options``: the
    :class:`bot.pipeline.PipelineOptions` to reuse (a warm code index); a PR that cannot be
    reviewed counts no findings. Only the PR's own base and head are read."""
    from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415
    from bot.pipeline import PipelineOptions, run_review  # noqa: PLC0415
    from bot.risk.step import findings_features  # noqa: PLC0415

    try:
        outcome = run_review(LocalGitSource(
            repo, base=pr.base, head=pr.sha, title=pr.title, body=pr.body, author=pr.author, number=pr.number,
            description_known=False,
        ), options if options is not None else PipelineOptions())
    except Exception:  # noqa: BLE001 - the features of a PR that cannot be reviewed are 0, as without --with-findings
        return findings_features([])
    return findings_features(f for v in outcome.result.verdicts for f in v.findings)


def _transform(name: str, x: float) -> float:
    import math  # noqa: PLC0415

    return math.log1p(max(x, 0.0)) if FEATURES[name].transform == "log1p" else x


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with ties counted half); None without both classes."""
    pairs = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + j + 1) / 2.0  # 1-based ranks i+1..j
        rank_sum += avg_rank * sum(lab for _, lab in pairs[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def fit(
    examples: Sequence[Example],
    *,
    features: Sequence[str] | None = None,
    target_bad_rate: float = DEFAULT_TARGET,
    min_pass_share: float = MIN_PASS_SHARE,
    training: dict[str, Any] | None = None,
    on_progress: ProgressFn | None = None,
) -> Any:
    """Fit and return a :class:`bot.risk.model.RiskModel` whose proposed threshold lets through at
    least ``min_pass_share`` (0..1) of the in-caps PRs it was chosen on. Raises CalibrateError when
    scikit-learn is missing or the examples hold fewer than :data:`MIN_POSITIVES` bad PRs."""
    try:
        import numpy as np  # noqa: PLC0415
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
        from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415
    except ImportError:
        raise CalibrateError(
            "quorum calibrate needs scikit-learn: pip install 'quorum-review[calibrate]'"
        ) from None
    from bot.risk.model import FORMAT, VERSION, ModelFeature, RiskModel  # noqa: PLC0415

    names = list(features or FEATURES)
    y = np.array([e.label for e in examples], dtype=int)
    if int(y.sum()) < MIN_POSITIVES or len(y) - int(y.sum()) < MIN_POSITIVES:
        raise CalibrateError(
            f"too few labelled PRs to fit: {int(y.sum())} bad and {len(y) - int(y.sum())} good "
            f"(need at least {MIN_POSITIVES} of each)"
        )
    raw = np.array([[_transform(n, e.features.get(n, 0.0)) for n in names] for e in examples], dtype=float)
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    keep = scale > 1e-9
    names = [n for n, k in zip(names, keep) if k]
    mean, scale, raw = mean[keep], scale[keep], raw[:, keep]
    x = (raw - mean) / scale
    folds = min(5, int(y.sum()), len(y) - int(y.sum()))
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    best: tuple[float, float, Any] | None = None
    steps = len(C_GRID) + 1
    for k, c in enumerate(C_GRID):
        cv = np.zeros(len(y))
        for tr, te in skf.split(x, y):
            m = LogisticRegression(C=c, max_iter=2000)
            m.fit(x[tr], y[tr])
            cv[te] = m.predict_proba(x[te])[:, 1]
        score = auc(list(cv), list(y)) or 0.0
        if best is None or score > best[0] + 1e-9:
            best = (score, c, cv)
        if on_progress:
            on_progress("fit", k + 1, steps)
    assert best is not None
    cv_auc, c_best, cv_pred = best
    final = LogisticRegression(C=c_best, max_iter=2000).fit(x, y)
    if on_progress:
        on_progress("fit", steps, steps)
    caps = [e.changed_lines <= SIZE_CAP_LINES and e.files <= SIZE_CAP_FILES for e in examples]
    in_caps = [i for i, ok in enumerate(caps) if ok]
    curve = threshold_curve([float(cv_pred[i]) for i in in_caps], [int(y[i]) for i in in_caps])
    shipped = final.predict_proba(x)[:, 1]
    chosen = _choose_threshold(x, y, [e.timestamp for e in examples], [e.repo for e in examples], caps, in_caps,
                               c_best, shipped, curve, target_bad_rate, LogisticRegression,
                               cutoffs=label_cutoffs(examples, (training or {}).get("repositories")),
                               min_share=min_pass_share)
    proposed = chosen["max_probability"]
    brier = float(np.mean((cv_pred - y) ** 2))
    return RiskModel(
        format=FORMAT, version=VERSION, kind="logistic", intercept=float(final.intercept_[0]),
        features=[
            ModelFeature(name=n, transform=FEATURES[n].transform, mean=round(float(mu), 6), scale=round(float(s), 6),
                         coef=round(float(w), 6), definition=FEATURES[n].definition)
            for n, mu, s, w in zip(names, mean, scale, final.coef_[0])
        ],
        proposed_max_probability=proposed, target_bad_rate=target_bad_rate,
        training={**(training or {}), "examples": len(y), "bad": int(y.sum()), "regularisation_C": c_best,
                  "label": "reverted later or blamed by SZZ within 365 days (90-day maturity cut-off)"},
        metrics={"cv_auc": round(cv_auc, 4), "cv_brier": round(brier, 5), "folds": folds,
                 "in_size_caps": len(in_caps), "curve": curve, "threshold": chosen},
        created_by="quorum calibrate",
    )


def label_cutoffs(examples: Sequence[Example], windows: Sequence[dict[str, Any]] | None) -> dict[str, int]:
    """Repository -> the cut-off its labels were computed at (seconds): the ``head_date`` of its
    training window (:func:`build_dataset`), else its latest example's merge time plus the
    90-day maturity cut-off (every labelled PR is at least that old at the cut-off, so this is at
    or before the real one: the fold it gives is, if anything, older)."""
    from bot.evals.labels import DAY, YOUNG_DAYS  # noqa: PLC0415

    out: dict[str, int] = {}
    for e in examples:
        out[e.repo] = max(out.get(e.repo, 0), e.timestamp + YOUNG_DAYS * DAY)
    for w in windows or ():
        try:
            out[str(w["repo"])] = int(datetime.fromisoformat(str(w["head_date"])).timestamp())
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _choose_threshold(x: Any, y: Any, timestamps: list[int], repos: list[str], caps: list[bool], in_caps: list[int],
                      c: float, shipped: Any, cv_curve: list[dict[str, float]], target: float,
                      estimator: Any, cutoffs: dict[str, int] | None = None,
                      min_share: float = 0.0) -> dict[str, Any]:
    """See :mod:`bot.risk.threshold`: the pass share chosen on the time-ordered validation fold of
    PRs with complete labels (``cutoffs``; cross-validation when the fold is too small or lacks a
    class), turned into the shipped model's score at that share among the same PRs."""
    from bot.risk.threshold import describe, propose_share, share_threshold, threshold_curve, validation_split  # noqa: PLC0415

    split = validation_split(timestamps, caps, groups=repos, cutoffs=cutoffs)
    if split is not None:
        fit_idx, val_idx = split
        y_fit = y[fit_idx]
        if int(y_fit.sum()) >= MIN_POSITIVES and len(y_fit) - int(y_fit.sum()) >= MIN_POSITIVES:
            early = estimator(C=c, max_iter=2000).fit(x[fit_idx], y_fit)
            scores = [float(p) for p in early.predict_proba(x[val_idx])[:, 1]]
            curve = threshold_curve(scores, [int(y[i]) for i in val_idx])
            aimed = propose_share(curve, target)
            share = max(aimed, min_share)
            t = share_threshold([float(shipped[i]) for i in val_idx], share)
            from bot.risk.threshold import DAY, MATURE_DAYS  # noqa: PLC0415

            mature = bool(cutoffs) and all(
                timestamps[i] <= (cutoffs or {}).get(repos[i], 0) - MATURE_DAYS * DAY for i in val_idx)
            rule = "time-ordered validation, labels complete" if mature else "time-ordered validation"
            return describe(rule, share, t, curve, {
                "fitted_on": len(fit_idx), "validation_in_caps": len(val_idx),
                "validation_bad": int(sum(int(y[i]) for i in val_idx)),
                "validation_from": min(timestamps[i] for i in val_idx),
                "validation_to": max(timestamps[i] for i in val_idx),
                "target_share": aimed, "min_pass_share": min_share, "floor_applied": share > aimed})
    aimed = propose_share(cv_curve, target)
    share = max(aimed, min_share)
    t = share_threshold([float(shipped[i]) for i in in_caps], share) if in_caps else 0.5
    return describe("cross-validation (validation fold too small)", share, t, cv_curve,
                    {"target_share": aimed, "min_pass_share": min_share, "floor_applied": share > aimed})


# The threshold helpers live in bot.risk.threshold; re-exported for existing callers.
from bot.risk.threshold import propose_threshold, threshold_curve  # noqa: E402

__all__ = ["CalibrateError", "Example", "auc", "build_dataset", "cutoff_head", "fit", "propose_threshold",
           "review_features", "threshold_curve"]
