"""``quorum calibrate`` end to end on a small synthetic repository with known revert/SZZ labels,
then ``quorum review --risk-model`` with the model it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.testing.gitrepo import commit, git, init_repo, write_files

pytest.importorskip("sklearn")


def _date(day: int) -> str:
    return (datetime(2021, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)).isoformat()


def quorum(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QUORUM_DATA_DIR=str(tmp_path / "data"), QUORUM_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("QUORUM_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def _feature(k: int) -> str:
    return f"def feature_{k}(x):\n    total = x * {k}\n    return total + {k}\n\n\n"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 squash-merged PRs: 12 add a feature function to pkg/mod.py (8 big ones in a busy file),
    6 of those are fixed later (SZZ-bad), plus docs PRs; HEAD is 400 days after the last PR."""
    repo = init_repo(tmp_path_factory.mktemp("cal") / "repo")
    write_files(repo, {"pkg/mod.py": "", "pkg/calm.py": "", "docs/a.md": "a\n"})
    commit(repo, "Initial commit", date=_date(0))
    mod, calm = "", ""
    number = 1
    day = 1
    for k in range(12):
        if k % 2 == 0:
            mod += _feature(k) + "".join(f"CONST_{k}_{i} = {i}\n" for i in range(8))
        else:
            calm += f"def helper_{k}():\n    return {k}\n\n\n"
        write_files(repo, {"pkg/mod.py": mod, "pkg/calm.py": calm})
        commit(repo, f"Add feature {k} (#{number})", author=f"dev{k % 3}", email=f"dev{k % 3}@x.invalid", date=_date(day))
        number += 1
        day += 3
        write_files(repo, {"docs/a.md": f"a {k}\n"})
        commit(repo, f"Update docs {k} (#{number})", author="writer", email="w@x.invalid", date=_date(day))
        number += 1
        day += 3
    for k in range(0, 12, 2):  # fix the six big features: their lines are blamed on the adding PR
        mod = mod.replace(f"    total = x * {k}\n", f"    total = x * {k} + 1\n")
        write_files(repo, {"pkg/mod.py": mod})
        commit(repo, f"Fix crash in feature {k} (#{number})", author="fixer", email="f@x.invalid", date=_date(day))
        number += 1
        day += 2
    write_files(repo, {"README.md": "done\n"})
    commit(repo, "Release", date=_date(day + 400))
    return repo


def test_calibrate_writes_a_model_that_review_reads(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    data = tmp_path / "examples.jsonl"
    proc = quorum("calibrate", "--repo", str(history), "--output", str(out), "--dataset", str(data),
                  "--min-pass-share", "0.9", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and "proposed risk_model.max_probability" in proc.stdout
    assert "fitting" in proc.stderr  # one-line progress when stderr is not a terminal
    model = json.loads(out.read_text())
    assert model["format"] == "quorum-risk-model" and model["kind"] == "logistic"
    assert model["training"]["bad"] == 6 and model["training"]["examples"] == len(data.read_text().splitlines())
    names = {f["name"] for f in model["features"]}
    assert "lines_added" in names and all({"mean", "scale", "coef", "transform"} <= set(f) for f in model["features"])
    examples = [json.loads(line) for line in data.read_text().splitlines()]
    bad = {e["number"] for e in examples if e["label"]}
    assert bad == {1, 5, 9, 13, 17, 21}  # the six big "Add feature" PRs, blamed by the fixes
    assert 0 < model["proposed_max_probability"] <= 1
    chosen = model["metrics"]["threshold"]
    assert chosen["min_pass_share"] == 0.9 and chosen["pass_share"] >= 0.9  # the floor reached the fit

    # The model ranks the bad PRs above the docs PRs on its own training data.
    from bot.risk.model import load_model

    m = load_model(out.read_text())
    p_bad = [m.probability(e["features"]) for e in examples if e["label"]]
    p_docs = [m.probability(e["features"]) for e in examples if e["number"] % 2 == 0 and e["number"] < 25]
    assert min(p_bad) > max(p_docs)

    # quorum review --risk-model reads it; the decision tree carries the gate.
    git(history, "checkout", "-q", "-b", "change")
    write_files(history, {"docs/a.md": "b\n"})
    commit(history, "docs: reword", date=_date(800))
    git(history, "checkout", "-q", "main")
    proc = quorum("review", "--repo", str(history), "--base", "main", "--head", "change", "--format", "json", "--no-log",
                  "--risk-model", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    review = json.loads(proc.stdout)
    tree = json.dumps(review["decision"]["tree"])
    assert "risk.probability" in tree and "predicted risk" in tree


def test_bad_input_gets_one_line(tmp_path: Path, history: Path) -> None:
    proc = quorum("calibrate", "--repo", str(tmp_path / "nope"), tmp_path=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no such repository" in proc.stderr
    proc = quorum("calibrate", "--repo", str(history), "--until", "2020-01-01", tmp_path=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("quorum: error:")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    proc = quorum("review", "--repo", str(history), "--risk-model", str(bad), "--no-log", tmp_path=tmp_path)
    assert proc.returncode == 2 and "'format' must be" in proc.stderr


def test_calibrate_with_findings_learns_from_quorums_findings(history: Path, tmp_path: Path) -> None:
    """``--with-findings`` reviews each PR offline: the dataset carries its findings counted by
    registry tag, next to the history facts (issue 12)."""
    data = tmp_path / "examples.jsonl"
    proc = quorum("calibrate", "--repo", str(history), "--output", str(tmp_path / "m.json"), "--dataset", str(data),
                  "--with-findings", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    examples = [json.loads(line) for line in data.read_text().splitlines()]
    assert all("findings_tests" in e["features"] and "file_fixes_12m" in e["features"] for e in examples)
    # Each "Add feature" PR changes runtime code without a test: logic/untested-behaviour-change (tag: tests).
    bad = [e for e in examples if e["label"]]
    assert bad and all(e["features"]["findings_tests"] >= 1 for e in bad)
