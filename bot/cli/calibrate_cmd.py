"""``quorum calibrate``: fit the history risk model on a repository's merged pull requests and
write it as JSON (see :mod:`bot.risk.calibrate`). Entry point: reads the environment only through
:class:`bot.config.Settings` (the cache directory of the history facts). Exit status 0 when a
model was written; 2 with a one-line error for bad input or a missing ``calibrate`` extra."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, run_guarded


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""
    app.command(name="calibrate")(calibrate_command)


def calibrate_command(
    repo: Annotated[list[Path], typer.Option("--repo", help="Local clone to learn from (repeat to pool repositories).")],
    until: Annotated[str | None, typer.Option(help="Learn only from history merged on or before this date (YYYY-MM-DD or ISO 8601).")] = None,
    since: Annotated[str | None, typer.Option(help="Only PRs merged on or after this date.")] = None,
    output: Annotated[Path, typer.Option("--output", help="Where to write the model JSON.")] = Path(".quorum/risk-model.json"),
    sample: Annotated[int | None, typer.Option(min=10, help="A random sample of N label-eligible PRs per repository.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    target_bad_rate: Annotated[float, typer.Option("--target-bad-rate", min=0.0, max=1.0, help="Bad-approval rate the proposed threshold aims at.")] = 0.005,
    min_pass_share: Annotated[float, typer.Option("--min-pass-share", min=0.0, max=1.0, help="The proposed threshold lets at least this share of in-caps PRs through (the gate holds back at most the riskiest 1 - share).")] = 0.5,
    dataset: Annotated[Path | None, typer.Option("--dataset", help="Also write the labelled examples (JSONL).")] = None,
    with_findings: Annotated[bool, typer.Option("--with-findings", help="Also review each PR offline and learn from its findings counted by registry tag (slower: one review per PR).")] = False,
) -> None:
    """Fit the risk model on the repository's own history (reverts and SZZ labels) and write it as JSON."""
    run_guarded(lambda: _calibrate(repo, until, since, output, sample, seed, target_bad_rate, dataset, with_findings,
                                   min_pass_share))


def _calibrate(repos: list[Path], until: str | None, since: str | None, output: Path, sample: int | None,
               seed: int, target: float, dataset: Path | None, with_findings: bool = False,
               min_pass_share: float = 0.5) -> None:
    from bot.cli.progress import Progress  # noqa: PLC0415
    from bot.cli.replay_cmd import parse_date  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415
    from bot.core.errors import SourceError  # noqa: PLC0415
    from bot.risk.calibrate import CalibrateError, build_dataset, fit, review_features  # noqa: PLC0415
    from bot.risk.model import dump_model  # noqa: PLC0415

    try:
        until_dt = parse_date(until, end_of_day=True) if until else None
        since_dt = parse_date(since) if since else None
    except ValueError as exc:
        fail(str(exc))
    for r in repos:
        if not r.exists():
            fail(f"no such repository: {r}")
    settings = Settings()
    review = None
    if with_findings:
        from bot.codeindex.warm import WarmIndex  # noqa: PLC0415
        from bot.pipeline import PipelineOptions  # noqa: PLC0415

        options = PipelineOptions(cache_dir=settings.cache_dir, index_builder=WarmIndex())

        def review(repo_path: Path, pr: object) -> dict[str, float]:
            return review_features(repo_path, pr, options)
    examples = []
    windows = []
    labels = {"labels": "labelling: blaming fix PRs (SZZ)", "features": "history facts of labelled PRs", "fit": "fitting"}
    try:
        with Progress(labels) as on_progress:
            for r in repos:
                ex, window = build_dataset(r, until=until_dt, since=since_dt, sample=sample, seed=seed,
                                           cache_path=settings.cache_dir / "history.sqlite", on_progress=on_progress,
                                           review=review)
                examples.extend(ex)
                windows.append(window)
            if dataset is not None:
                dataset.parent.mkdir(parents=True, exist_ok=True)
                with dataset.open("w", encoding="utf-8") as fh:
                    for e in examples:
                        fh.write(json.dumps(e.as_dict(), separators=(",", ":")) + "\n")
            model = fit(examples, target_bad_rate=target, min_pass_share=min_pass_share,
                        training={"repositories": windows}, on_progress=on_progress)
    except (CalibrateError, SourceError) as exc:
        fail(str(exc))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(dump_model(model), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    m = model.metrics
    sys.stdout.write(
        f"wrote {output}: {model.training['examples']} PRs ({model.training['bad']} bad), "
        f"cross-validated AUC {m['cv_auc']}, proposed risk_model.max_probability "
        f"{model.proposed_max_probability:.4f} for a bad-approval rate of {target:.2%}\n"
    )
