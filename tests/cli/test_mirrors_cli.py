"""``quorum mirrors list|evict``: what the App's mirrors hold on disk, and the cap applied by hand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.adapters.mirror import MirrorStore
from bot.cli.main import _register_subcommands, app
from bot.testing.fake_git import GitStore


def test_list_and_evict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = GitStore(tmp_path / "remote")
    store = MirrorStore(tmp_path / "data" / "mirrors", git_url=remote.url, max_bytes=1 << 30, min_free_bytes=0)
    sizes = {}
    for i, name in enumerate(("old", "new")):
        sha, _ = remote.commit(f"acme/{name}", {"a.py": b"x = 1\n" * 40}, [], author="a", committer="a", message="m")
        remote.set_refs(f"acme/{name}", {"refs/heads/main": sha}, head="main")
        with store.lease(7, f"acme/{name}") as lease:
            sizes[name] = lease.sync(base_ref="main", pr_number=None, need=sha, token=None).size
        os.utime(lease.path / "quorum-last-used", (1000 + i, 1000 + i))
    monkeypatch.delenv("QUORUM_MIRROR_DIR", raising=False)
    monkeypatch.setenv("QUORUM_DATA_DIR", str(tmp_path / "data"))
    _register_subcommands()
    runner = CliRunner()
    listed = runner.invoke(app, ["mirrors", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["mirror"] for r in rows] == ["7/acme/new", "7/acme/old"]
    assert [r["bytes"] for r in rows] == [sizes["new"], sizes["old"]]
    monkeypatch.setenv("QUORUM_MIRROR_MAX_BYTES", str(sizes["new"] + sizes["old"] // 2))
    evicted = runner.invoke(app, ["mirrors", "evict"])
    assert evicted.exit_code == 0, evicted.output
    assert "acme+old.git" in evicted.output and "1 evicted" in evicted.output
    text = runner.invoke(app, ["mirrors", "list"]).output
    assert "7/acme/new" in text and "7/acme/old" not in text and text.rstrip().splitlines()[-1].startswith("1 mirror(s)")
