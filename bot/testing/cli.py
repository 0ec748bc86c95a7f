"""Run ``quorum`` as a real process, the way a user does, for tests and evals.

Shared by every test that drives the CLI end to end (one helper, not a copy per test file). Runs
only the project's own entry point (``python -m bot.cli.main``); the data and cache directories are
put under a caller-chosen directory and the database URL is removed from the environment, so a run
never touches the user's own decision log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_quorum(*args: str, tmp_path: Path, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``quorum *args`` with ``QUORUM_DATA_DIR`` and ``QUORUM_CACHE_DIR`` under ``tmp_path``.

    Returns the completed process (text mode, stdout and stderr captured). Raises
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
    env = dict(os.environ, QUORUM_DATA_DIR=str(tmp_path / "data"), QUORUM_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("QUORUM_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def review_json(repo: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """``quorum review --repo REPO --format json [extra]``: the parsed JSON object. Raises
    AssertionError (with stderr) when the review did not complete with exit status 0."""
    proc = run_quorum("review", "--repo", str(repo), "--format", "json", *extra, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
