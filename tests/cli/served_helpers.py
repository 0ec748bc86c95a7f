"""Helpers shared by the command server's tests (tests/cli/test_cmdserver.py, test_warmstate.py)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a test's server and clients: a fresh runtime directory for the socket,
    cache and data under ``tmp_path``, no database URL, plus ``extra``."""
    runtime = Path(tempfile.mkdtemp(prefix="q"))  # short: a socket path has at most 107 bytes
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), QUORUM_CACHE_DIR=str(tmp_path / "cache"),
               QUORUM_DATA_DIR=str(tmp_path / "data"), **extra)
    env.pop("QUORUM_DATABASE_URL", None)
    return env


def stable(out: str) -> dict:
    """A review's JSON report without what differs from run to run (timings, agents' elapsed_ms)."""
    data = json.loads(out)
    for v in data["verdicts"]:
        v.pop("elapsed_ms", None)
    data.pop("timings")
    return data
