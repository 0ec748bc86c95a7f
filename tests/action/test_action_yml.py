"""action.yml: a valid composite action whose steps call options `quorum action` really has, and
the README's example workflow uses the action's real inputs and the permissions it needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]


def test_action_yml_calls_real_options() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert '"$RUNNER_TEMP/quorum-venv/bin/quorum" action' in script
    from bot.cli.main import _register_subcommands, app

    _register_subcommands()
    help_text = CliRunner().invoke(app, ["action", "--help"], env={"COLUMNS": "200"}).stdout
    for flag in set(re.findall(r"--[a-z][a-z-]+", script)) - {"--quiet", "--disable-pip-version-check"}:
        assert flag in help_text, flag
    outputs = set(action["outputs"])
    assert outputs == {"decision", "risk", "decision-id", "approved", "degraded"}


def test_no_step_runs_python_modules_from_the_pull_requests_checkout() -> None:
    """A step that runs ``python -m`` (which puts the working directory first on ``sys.path``) runs
    outside the workspace, the pull request's checkout: its ``venv/`` or ``pip/`` would run instead."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    module_steps = [s for s in action["runs"]["steps"] if re.search(r"python\S*\"? -m ", s.get("run", ""))]
    assert module_steps
    for step in module_steps:
        assert step.get("working-directory") == "${{ runner.temp }}", step["name"]


def test_readme_workflow_uses_the_action_inputs_and_permissions() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(name: Quorum\n.*?)```", readme, re.S)
    assert block, "the README has an example workflow"
    workflow = yaml.safe_load(block.group(1))
    job = next(iter(workflow["jobs"].values()))
    assert job["permissions"] == {"contents": "read", "checks": "write", "pull-requests": "write",
                                  "statuses": "read", "security-events": "write"}
    step = next(s for s in job["steps"] if "quorum" in str(s.get("uses", "")).lower())
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"])
    assert set(step.get("with", {})) <= inputs
    assert set(workflow[True]) >= {"pull_request", "issue_comment"}  # YAML 1.1 reads the key `on` as True
    # the risk gate reads history from the checkout: a full one, before Quorum's step
    steps = job["steps"]
    checkout = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert steps[checkout]["with"]["fetch-depth"] == 0 and checkout < steps.index(step)
    assert "fetch-depth: 0" in yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["description"]
