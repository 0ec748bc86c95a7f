"""bot.cli.earlysnap: the snapshot taken in a thread beside the review's imports, same review."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.cli import earlysnap, review_cmd
from bot.cli.earlysnap import EarlySnapshot, warm_up
from bot.core.errors import SourceError
from bot.testing.gitrepo import make_repo


def _repo(tmp_path: Path) -> Path:
    repo, _, _ = make_repo(tmp_path, {"a.py": "def f(x):\n    return x\n"},
                           {"a.py": "def f(x):\n    if x:\n        return x\n    return None\n", "b.md": "notes\n"},
                           title="feat: f")
    return repo


def test_the_early_snapshot_is_the_sources_snapshot(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    early = EarlySnapshot(LocalGitSource(repo))
    got, want = early.snapshot(), LocalGitSource(repo).snapshot()
    try:
        assert got.pr == want.pr and got.diff == want.diff and got.policy_text == want.policy_text
        assert got.head.read("a.py") == want.head.read("a.py")
    finally:
        got.close()
        want.close()
    early.discard()  # handed out already: the caller closes it, not discard


def test_an_error_is_the_sources_error_and_no_thread_is_left(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    before = threading.active_count()
    with pytest.raises(SourceError) as direct:
        LocalGitSource(repo, head="no-such-ref").snapshot()
    early = EarlySnapshot(LocalGitSource(repo, head="no-such-ref"))
    with pytest.raises(SourceError) as threaded:
        early.snapshot()
    early.discard()
    assert str(threaded.value) == str(direct.value)
    assert threading.active_count() == before


class _Snap:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class _Source:
    def __init__(self) -> None:
        self.snap = _Snap()

    def snapshot(self) -> _Snap:
        return self.snap


def test_discard_closes_a_snapshot_nobody_took_once() -> None:
    source = _Source()
    early = EarlySnapshot(source)
    early.discard()
    early.discard()
    assert source.snap.closed == 1
    taken = EarlySnapshot(_Source())
    snap = taken.snapshot()
    taken.discard()
    assert snap.closed == 0


def test_warm_up_ignores_what_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.core.registry as registry_mod

    monkeypatch.setattr(earlysnap, "WARM_MODULES", ("no_such_quorum_module", "json"))

    def broken() -> None:
        raise ValueError("broken registry")

    monkeypatch.setattr(registry_mod, "default_registry", broken)
    assert warm_up() >= 0.0


def _timeless(value: object) -> object:
    """``value`` without what measures time (keys ending in ``_ms``), as ``evals/bench/same_reviews.py``."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if not k.endswith("_ms")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _review_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code = review_cmd.run_fast(["quorum", "review", "--repo", str(repo), "--format", "json", "--no-log"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


class _Lazy:
    """The old way: the snapshot taken when the pipeline asks for it, in its thread."""

    def __init__(self, source: object) -> None:
        self._source = source

    def snapshot(self) -> object:
        return self._source.snapshot()  # type: ignore[attr-defined]

    def discard(self) -> None:
        return None


def test_the_review_is_the_same_as_with_the_snapshot_taken_in_the_pipeline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    monkeypatch.setenv("QUORUM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("QUORUM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUORUM_AGENT_PROCS", "1")
    early = _review_json(repo, capsys)
    monkeypatch.setattr(earlysnap, "EarlySnapshot", _Lazy)
    monkeypatch.setattr(earlysnap, "warm_up", lambda: 0.0)
    lazy = _review_json(repo, capsys)
    t = early.pop("timings")
    lazy.pop("timings")
    assert _timeless(early) == _timeless(lazy)
    assert t["total_ms"] >= t["snapshot_ms"] + t["setup_ms"] > 0


def test_a_usage_error_met_beside_the_snapshot_is_still_the_one_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    monkeypatch.setenv("QUORUM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("QUORUM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUORUM_AGENT_PROCS", "lots")
    before = threading.active_count()
    code = review_cmd.run_fast(["quorum", "review", "--repo", str(repo), "--head", "no-such-ref", "--no-log"])
    assert code == 2
    assert "QUORUM_AGENT_PROCS" in capsys.readouterr().err
    assert threading.active_count() == before
    monkeypatch.setenv("QUORUM_AGENT_PROCS", "1")
    code = review_cmd.run_fast(["quorum", "review", "--repo", str(repo), "--head", "no-such-ref", "--no-log"])
    assert code == 2
    assert "unknown ref" in capsys.readouterr().err
