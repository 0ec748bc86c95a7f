"""History sources: a full clone gives facts; a shallow clone, a missing one or an unavailable
source raises HistoryUnavailable (the risk gate then fails closed), with the reason in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.history.cache import HistoryCache
from bot.history.gitlog import LocalHistory
from bot.history.sources import HistoryUnavailable, UnavailableHistory, checkout_history
from bot.testing.gitrepo import commit, git, init_repo, write_files


@pytest.fixture()
def clones(tmp_path: Path) -> tuple[Path, Path, str]:
    """``(full clone, shallow clone, tip SHA)`` of a three-commit repository."""
    origin = init_repo(tmp_path / "origin")
    for n in range(3):
        write_files(origin, {"a.py": f"x = {n}\n"})
        tip = commit(origin, f"change {n}")
    git(tmp_path, "clone", "--quiet", "--no-checkout", f"file://{origin}", str(tmp_path / "full"))
    git(tmp_path, "clone", "--quiet", "--no-checkout", "--depth", "1", f"file://{origin}", str(tmp_path / "shallow"))
    return tmp_path / "full", tmp_path / "shallow", tip


def test_a_full_clone_is_read_and_a_shallow_one_is_refused(clones: tuple[Path, Path, str], tmp_path: Path) -> None:
    full, shallow, tip = clones
    history = checkout_history(full, HistoryCache(None), what="the checkout")
    assert isinstance(history, LocalHistory) and history.base_time(tip) > 0
    refused = checkout_history(shallow, HistoryCache(None), what="the checkout")
    assert isinstance(refused, UnavailableHistory) and refused.reason.startswith("the checkout is shallow")
    with pytest.raises(HistoryUnavailable, match="history unavailable: the checkout is shallow.*fetch-depth: 0"):
        refused.base_time(tip)
    missing = checkout_history(tmp_path / "nowhere", None)
    assert isinstance(missing, UnavailableHistory) and "does not exist" in missing.reason
    (tmp_path / "plain").mkdir()
    assert "not a git repository" in checkout_history(tmp_path / "plain", None).reason


def test_local_history_itself_refuses_a_shallow_clone(clones: tuple[Path, Path, str]) -> None:
    _, shallow, tip = clones
    with pytest.raises(HistoryUnavailable, match="is a shallow clone"):
        LocalHistory(shallow, HistoryCache(None)).base_time(tip)


def test_every_read_of_an_unavailable_history_raises_one_line() -> None:
    history = UnavailableHistory("mirror of acme/app: git fetch failed: fatal: x\nsecond line")
    assert history.reason == "mirror of acme/app: git fetch failed: fatal: x"
    for read in (lambda: history.base_time("a" * 40), lambda: history.files("a" * 40, ["x.py"]),
                 lambda: history.read_base("a" * 40, "x.py"), lambda: history.blame("a" * 40, "x.py", [(1, 2)])):
        with pytest.raises(HistoryUnavailable, match=r"^history unavailable: mirror of acme/app: git fetch failed: fatal: x$"):
            read()
