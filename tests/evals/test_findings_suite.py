"""The findings-precision suite: label matching, precision figures, data validation, and a run of
``quorum eval --suite findings`` on a real git history with one labelled and one unlabelled finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.evals.findings import (
    FindingLabel,
    Judged,
    load_label_files,
    locate_repo,
    match_labels,
    precision_table,
)
from bot.evals.scenarios import ScenarioError
from bot.testing.gitrepo import commit, init_repo, write_files


def _label(**kw: object) -> FindingLabel:
    base = {"commit": "c1", "rule": "R1", "path": "a.py", "line": 10, "label": "true", "reason": "read it"}
    return FindingLabel.model_validate({**base, **kw})


def test_match_prefers_id_then_nearest_line_and_uses_each_label_once() -> None:
    findings = [
        {"id": "Qx", "rule_id": "R1", "path": "a.py", "line": 40},
        {"id": "Qy", "rule_id": "R1", "path": "a.py", "line": 12},
        {"id": "Qz", "rule_id": "R1", "path": "a.py", "line": 11},
        {"id": "Qw", "rule_id": "R2", "path": "a.py", "line": 10},
    ]
    by_id = _label(id="Qx", line=1, label="false")
    near = _label(line=10)
    matched = match_labels(findings, [near, by_id])
    assert matched[0] is by_id  # the id wins although the line moved far away
    assert matched[2] is near  # line 11 is nearer to 10 than line 12
    assert matched[1] is None  # the label is used once only
    assert matched[3] is None  # another rule never matches


def test_match_respects_line_slack() -> None:
    assert match_labels([{"id": "Q1", "rule_id": "R1", "path": "a.py", "line": 14}], [_label(line=10)]) == [None]
    assert match_labels([{"id": "Q1", "rule_id": "R1", "path": "a.py", "line": 13}], [_label(line=10)])[0] is not None


def test_precision_counts_posted_findings_only_and_lists_unlabelled() -> None:
    def judged(severity: str, label: str | None, rule: str = "R1", set_: str = "development") -> Judged:
        return Judged(repo="o/r", set=set_, commit="c1", finding={"rule_id": rule, "severity": severity},
                      label=_label(label=label) if label else None)

    rows = [judged("minor", "true"), judged("major", "false"), judged("minor", "noise"),
            judged("info", "true"), judged("minor", None), judged("critical", "true", "R2", "held-out")]
    table = precision_table(rows)
    assert table["overall"]["k"] == 2 and table["overall"]["n"] == 4
    assert table["overall"]["unlabelled"] == 1
    assert table["by_rule"]["R1"]["n"] == 3 and table["by_rule"]["R1"]["false"] == 1
    assert table["by_set"]["held-out"]["k"] == 1
    assert table["counts"] == {"true": 2, "false": 1, "noise": 1, "unlabelled": 1}
    everything = precision_table(rows, posted_only=False)
    assert everything["overall"]["n"] == 5


def test_label_files_are_validated(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(yaml.safe_dump({"repo": "o/r", "set": "dev", "language": "python", "commits": []}))
    with pytest.raises(ScenarioError, match="bad.yml"):
        load_label_files(tmp_path)
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(
        {"repo": "o/r", "set": "development", "language": "python", "commits": ["c"],
         "labels": [{"commit": "c", "rule": "R", "label": "maybe", "reason": "why not"}]}))
    with pytest.raises(ScenarioError):
        load_label_files(tmp_path)


def test_locate_repo_layouts(tmp_path: Path) -> None:
    assert locate_repo(tmp_path, "o/r") is None
    (tmp_path / "r").mkdir()
    assert locate_repo(tmp_path, "o/r") == tmp_path / "r"
    (tmp_path / "o+r" / "repo").mkdir(parents=True)
    assert locate_repo(tmp_path, "o/r") == tmp_path / "o+r" / "repo"


def test_committed_labels_are_valid_and_big_enough() -> None:
    """The committed corpus: >= 10 repositories, both sets, every label names a reviewed commit."""
    directory = Path(__file__).resolve().parents[2] / "evals" / "findings"
    files = load_label_files(directory)
    assert len(files) >= 10
    assert {data.set for _, data in files} == {"development", "held-out"}
    for path, data in files:
        commits = set(data.commits)
        assert all(label.commit in commits for label in data.labels), path
    assert sum(len(data.labels) for _, data in files) >= 400


def test_findings_suite_end_to_end(tmp_path: Path) -> None:
    """A real history: the squash commit adds `os.system(cmd)` (a posted safety finding) to runtime code."""
    repo = init_repo(tmp_path / "clones" / "demo")
    write_files(repo, {"app/run.py": "def run(cmd):\n    return cmd\n"})
    base = commit(repo, "initial")
    write_files(repo, {"app/run.py": "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n    return cmd\n"})
    head = commit(repo, "Run the command (#2)\n\nRuns it through the shell on purpose.")
    assert base != head
    data_dir = tmp_path / "data"
    (data_dir / "findings").mkdir(parents=True)
    labels_file = data_dir / "findings" / "demo.yml"
    labels_file.write_text(yaml.safe_dump({"repo": "someone/demo", "set": "held-out", "language": "python",
                                           "commits": [head], "labels": []}))
    env = dict(os.environ, QUORUM_DATA_DIR=str(tmp_path / "qd"), QUORUM_CACHE_DIR=str(tmp_path / "qc"))

    def quorum(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot.cli.main", *argv], capture_output=True, text=True,
                              env=env, timeout=120, check=False)

    args = ["eval", "--suite", "findings", "--suite-dir", str(data_dir), "--repos-dir", str(tmp_path / "clones"),
            "--format", "json"]
    first = quorum(*args)
    assert first.returncode == 0, first.stderr
    figures = json.loads(first.stdout)["figures"]
    assert figures["commits"] == 1
    posted = figures["unlabelled"]
    assert posted, "os.system(cmd) must give at least one posted finding"
    assert figures["precision"]["overall"]["n"] == 0  # unlabelled findings are never counted as correct

    # Label every posted finding "true" except one "false": precision is then (n-1)/n.
    labels = [{"commit": head, "id": f["id"], "rule": f["rule_id"], "path": f["path"], "line": f["line"],
               "label": "true", "reason": "shell command built from input"} for f in posted]
    labels[0]["label"] = "false"
    labels_file.write_text(yaml.safe_dump({"repo": "someone/demo", "set": "held-out", "language": "python",
                                           "commits": [head], "labels": labels}))
    second = quorum(*args)
    assert second.returncode == 0, second.stderr
    table = json.loads(second.stdout)["figures"]["precision"]
    assert table["overall"]["n"] == len(posted)
    assert table["overall"]["k"] == len(posted) - 1
    assert table["by_set"]["held-out"]["n"] == len(posted)

    missing = quorum(*args[:-2], "--repos-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 0, missing.stderr
    assert "no local clone of someone/demo" in missing.stdout
