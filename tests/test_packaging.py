"""The install layout: what the base install leaves out, what the wheel carries.

- the base dependencies carry no LLM layer and no grammar Quorum has no rules for;
- every eval data directory is packaged into the wheel (pyproject force-include);
- (slow) a wheel built from this checkout runs ``quorum eval --suite injection`` in a fresh
  virtual environment with no checkout in sight.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

from bot.core import treesitter

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _names(requirements: list[str]) -> set[str]:
    import re

    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_base_install_has_no_llm_layer_and_only_ruled_grammars() -> None:
    base = _names(PYPROJECT["project"]["dependencies"])
    assert not base & {"litellm", "mcp", "scikit-learn", "psycopg"}
    grammars = {n for n in base if n.startswith("tree-sitter-")}
    assert grammars == {"tree-sitter-python", "tree-sitter-javascript", "tree-sitter-typescript", "tree-sitter-go"}
    # every grammar the code loads is a base dependency, and no other
    modules = {module for module, _ in treesitter._GRAMMARS.values()}
    assert {m.replace("_", "-") for m in modules} == grammars
    # the App and the Action need these in the base install
    assert {"fastapi", "uvicorn", "pygithub"} <= base


def test_extras_follow_the_scheme() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"llm", "postgres", "calibrate", "all", "test"} <= set(extras)
    assert {"litellm", "mcp"} <= _names(extras["llm"])
    (everything,) = extras["all"]
    assert everything.startswith("quorum-review[")
    assert set(everything.removeprefix("quorum-review[").rstrip("]").split(",")) == set(extras) - {"all", "test"}
    assert any(r.startswith("quorum-review[all") for r in extras["test"])


def test_every_eval_data_directory_ships_in_the_wheel() -> None:
    force = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    # bench/ holds benchmark scripts and figures/ the charts of evals/RESULTS.md: neither is read by the code
    not_data = {"bench", "figures", "__pycache__"}
    data_dirs = {p.name for p in (ROOT / "evals").iterdir() if p.is_dir() and p.name not in not_data}
    packaged = {src.removeprefix("evals/") for src in force}
    assert data_dirs <= packaged, f"evals/ data not packaged into the wheel: {sorted(data_dirs - packaged)}"
    for src, dest in force.items():
        assert (ROOT / src).is_dir()
        assert dest == "bot/evals/data/" + src.removeprefix("evals/")


def test_offline_review_path_does_not_import_litellm(tmp_path: Path) -> None:
    """``quorum review`` without a model never imports litellm or mcp (the optional [llm] extra):
    with both made unimportable (``sys.modules[name] = None``), the review still completes."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.testing.gitrepo import make_repo\n"
        "repo, _, _ = make_repo(Path(sys.argv[1]), {'a.py': 'def f():\\n    return 1\\n'}, {'a.py': 'def f():\\n    return 2\\n'})\n"
        "sys.modules['litellm'] = None\n"
        "sys.modules['mcp'] = None\n"
        "from bot.cli.main import main\n"
        "sys.argv = ['quorum', 'review', '--repo', str(repo), '--base', 'HEAD~1', '--no-log', '--format', 'json']\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
    env["QUORUM_CACHE_DIR"] = str(tmp_path / "cache")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    assert json.loads(done.stdout)["decision"]["action"]


def test_model_without_llm_extra_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from bot.adapters import llm
    from bot.config import Settings
    from bot.core.errors import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "litellm" else real(name, *a))
    with pytest.raises(ConfigError) as err:
        llm.reasoner_from_settings(Settings(), model="gpt-4o-mini")
    message = str(err.value)
    assert "\n" not in message and "quorum-review[llm]" in message and "gpt-4o-mini" in message


@pytest.mark.slow
def test_quorum_eval_runs_from_a_built_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    """Build the wheel, install it (no deps, no checkout) into a fresh venv, run the injection suite.

    Dependencies come from this test environment's site-packages through PYTHONPATH (no network:
    tests only use loopback); ``.pth`` files are not processed from PYTHONPATH, so the editable
    install of this checkout stays invisible and ``bot`` can only come from the wheel.
    """
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = dist.glob("quorum_review-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    work = tmp_path / "elsewhere"  # no checkout, no evals/ here
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUORUM_", "PYTHON"))}
    env.update(PYTHONPATH=sysconfig.get_paths()["purelib"], QUORUM_CACHE_DIR=str(tmp_path / "cache"), COLUMNS="200")
    where = subprocess.run(
        [str(py), "-c", "import bot; from bot.evals.suites import default_suite_dir; print(bot.__file__); print(default_suite_dir())"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()
    assert where[0].startswith(str(env_dir)) and where[1].startswith(str(env_dir)), where
    done = subprocess.run(
        [str(env_dir / "bin" / "quorum"), "eval", "--suite", "injection", "--format", "json", "--workers", "2"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    report = json.loads(done.stdout)
    text = json.dumps(report)
    assert str(env_dir) in text  # the data came from the installed wheel
    assert "inj-body-base64" in text
    # stderr is not a terminal here: periodic one-line progress, ending with the completed count
    progress = [ln for ln in done.stderr.splitlines() if ln.startswith("quorum: evaluating cases: ")]
    assert progress and progress[-1].split(": ")[2].split(" ")[0].split("/")[0] == progress[-1].split("/")[1].split(" ")[0]
