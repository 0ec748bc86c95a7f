"""The command server's warm state (:mod:`bot.cli.warmstate`): the index cache rows it keeps
change nothing a review computes. A moved head, another repository, a changed or emptied index
cache, another cache directory: the index built with them is the one built without them, and a
served review prints what a review in a fresh process prints."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from served_helpers import server_env, stable

from bot.adapters.gitlocal import CatFile, Git, GitTree
from bot.cli.cmdserver import QUIET_S
from bot.cli.warmstate import WarmIndexRows, WarmJob, job_of
from bot.codeindex import build_index
from bot.codeindex.builder import lookup
from bot.codeindex.cache import CACHE_FILE
from bot.codeindex.lazy import lazy_index
from bot.testing.gitrepo import commit, git, make_repo, write_files

BASE = {"a.py": "def f(x):\n    return x\n", "b.py": "from a import f\n\ndef g():\n    return f(1)\n",
        "web/c.js": "export function h(a) { return a + 1; }\n"}
HEAD = {"a.py": "def f(x, y=0):\n    return x + y\n", "d.py": "from b import g\n\ndef k():\n    return g()\n"}


def _tree(repo: Path, rev: str) -> GitTree:
    sha = Git(str(repo)).rev(rev)
    assert sha is not None
    return GitTree(Git(str(repo)), CatFile(str(repo)), sha)


def _index_shape(index) -> list[tuple]:  # noqa: ANN001 - a CodeIndex
    index._ensure_all() if hasattr(index, "_ensure_all") else None  # noqa: SLF001 - a lazy index: parse the rest
    out = []
    for path in sorted(index.files):
        entry = index.files[path]
        out.append((path, entry.blob, sorted(entry.def_names), sorted(entry.call_names)))
    return out


def test_rows_of_another_head_change_no_lookup(tmp_path: Path) -> None:
    """Rows kept from one head, used for a later head of the same repository (files changed,
    added and unchanged) and for another repository: ``lookup`` returns exactly what it
    returns without them."""
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    other, _, _ = make_repo(tmp_path, {"x.py": "def f(x):\n    return x\n"}, {"x.py": "def f():\n    pass\n"}, name="other")
    cache = tmp_path / "cache" / "index"
    build_index(_tree(repo, "feature"), cache)
    warm = WarmIndexRows()
    assert warm.load(WarmJob(str(repo), "feature", cache)) == 4
    write_files(repo, {"b.py": "from a import f\n\ndef g():\n    return f(2)\n", "e.py": "def e():\n    pass\n"})
    commit(repo, "second")  # the head moved: b.py changed, e.py new, a.py and d.py as before
    rows = warm.rows_for(cache)
    assert rows is not None and len(rows) == 4
    for tree in (_tree(repo, "feature"), _tree(repo, "main"), _tree(other, "feature")):
        assert lookup(tree, cache, rows) == lookup(tree, cache)
    assert warm.rows_for(tmp_path / "elsewhere") is None  # rows serve only the cache directory they came from


def test_an_index_built_with_kept_rows_is_the_fresh_one(tmp_path: Path) -> None:
    """With the rows of an earlier head, after the head moved and after the cache file was
    deleted: the lazy index answers as the one built without them."""
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    cache = tmp_path / "cache" / "index"
    build_index(_tree(repo, "feature"), cache)
    warm = WarmIndexRows()
    warm.load(WarmJob(str(repo), "feature", cache))
    write_files(repo, {"a.py": "def f(x, y=1):\n    return x - y\n"})
    commit(repo, "second")
    rows, entries = warm.rows_for(cache), warm.entries_for(cache)
    assert entries is not None and set(entries) == set(rows)
    assert all(e._renamed is not None for e in entries.values())  # computed in the server
    fresh = _index_shape(lazy_index(_tree(repo, "feature"), cache))
    assert _index_shape(lazy_index(_tree(repo, "feature"), cache, warm=rows)) == fresh
    reused = lazy_index(_tree(repo, "feature"), cache, warm=rows, entries=entries)
    assert _index_shape(reused) == fresh
    kept = {(e.path, e.blob) for e in entries.values()}
    assert [p for p, e in reused.files.items() if e in entries.values()] == sorted(
        p for p, e in reused.files.items() if (p, e.blob) in kept)  # unchanged files: the kept entries
    selection = warm.selection_for(cache)
    assert selection is not None and set(selection) == {"a.py", "b.py", "d.py", "web/c.js"}  # the kept tree's paths
    assert lookup(_tree(repo, "feature"), cache, rows, selection=selection) == lookup(_tree(repo, "feature"), cache)
    listed = _tree(repo, "feature")
    assert _index_shape(warm.builder()(listed, cache)) == fresh  # listing and selection from the kept tree
    assert listed.list_files() == _tree(repo, "feature").list_files()
    (cache / CACHE_FILE).unlink()
    assert _index_shape(lazy_index(_tree(repo, "feature"), cache, warm=rows, entries=entries)) == fresh
    assert _index_shape(warm.builder()(_tree(repo, "feature"), cache)) == fresh
    build_index(_tree(repo, "feature"), cache)  # all cached: the plain index, with the kept entries
    assert _index_shape(lazy_index(_tree(repo, "feature"), cache, warm=rows, entries=entries)) == fresh


def test_nothing_is_kept_when_loading_fails(tmp_path: Path) -> None:
    """An unknown head, no cache yet (none is created), a path that is no repository: nothing is
    kept, and an earlier state of that repository is dropped."""
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    cache = tmp_path / "cache" / "index"
    warm = WarmIndexRows()
    assert warm.load(WarmJob(str(repo), "feature", cache)) == 0
    assert not cache.exists()
    build_index(_tree(repo, "feature"), cache)
    assert warm.load(WarmJob(str(repo), "feature", cache)) == 4
    assert warm.load(WarmJob(str(repo), "no-such-branch", cache)) == 0
    assert len(warm) == 0 and warm.rows_for(cache) is None
    assert warm.load(WarmJob(str(tmp_path / "nowhere"), "HEAD", cache)) == 0


def test_the_kept_state_is_bounded(tmp_path: Path) -> None:
    """At most ``max_trees`` repositories, the least recently loaded dropped first; a tree over
    ``max_bytes`` is not kept."""
    cache = tmp_path / "cache" / "index"
    repos = []
    for i in range(3):
        repo, _, _ = make_repo(tmp_path, BASE, {f"n{i}.py": f"def n{i}():\n    pass\n"}, name=f"r{i}")
        build_index(_tree(repo, "feature"), cache)
        repos.append(repo)
    warm = WarmIndexRows(max_trees=2)
    for repo in repos:
        assert warm.load(WarmJob(str(repo), "feature", cache)) == 4
    assert len(warm) == 2
    assert WarmIndexRows(max_bytes=100).load(WarmJob(str(repos[0]), "feature", cache)) == 0


def test_a_job_is_the_review_s_repository_head_and_cache(tmp_path: Path) -> None:
    env = {"QUORUM_CACHE_DIR": str(tmp_path / "c"), "HOME": str(tmp_path)}
    job = job_of({"argv": ["review", "--repo", "r", "--head", "abc"], "cwd": str(tmp_path), "env": env})
    assert job == WarmJob(str((tmp_path / "r").resolve()), "abc", tmp_path / "c" / "index")
    assert job_of({"argv": ["review", "--help"], "cwd": str(tmp_path), "env": env}) is None
    assert job_of({"argv": ["server", "status"], "cwd": str(tmp_path), "env": env}) is None


def _env(tmp_path: Path) -> dict[str, str]:
    env = server_env(tmp_path, QUORUM_AGENT_PROCS="1")
    env.pop("QUORUM_SERVER", None)
    return env


def _review(repo: Path, env: dict[str, str], *extra: str) -> dict:
    out = subprocess.run([sys.executable, "-c", "from bot.cli.entry import main; main()", "review", "--repo", str(repo),
                          "--format", "json", "--no-log", *extra], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return stable(out.stdout)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED and fd passing as on Linux")
def test_served_reviews_with_warm_state_match_fresh_ones(tmp_path: Path) -> None:
    """Through a server that kept the rows of the last reviewed tree: the head moved, the
    policy changed on the base, another repository, the index cache emptied. Each served review
    prints what the same review prints in a fresh process (``QUORUM_SERVER=0``)."""
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    other, _, _ = make_repo(tmp_path, {"x.py": "def f(x):\n    return x\n"},
                            {"x.py": "import os\n\ndef f(x):\n    return eval(x)\n"}, name="other")
    env = _env(tmp_path)
    fresh_env = dict(env, QUORUM_SERVER="0")
    from bot.cli.cmdserver import socket_path

    sock = socket_path(env)
    server = subprocess.Popen([sys.executable, "-m", "bot.cli.cmdserver", str(sock), "60"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not sock.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
        assert sock.exists(), server.stderr.read().decode() if server.poll() is not None else "server did not listen"

        def same(path: Path, *extra: str) -> None:
            served = _review(path, env, *extra)
            time.sleep(QUIET_S + 0.4)  # the server loads its warm state once the review is over and it is quiet
            assert served == _review(path, fresh_env, *extra)

        same(repo)
        same(repo)  # now with the rows of this very tree
        write_files(repo, {"b.py": "from a import f\n\ndef g():\n    return f(2)\n", "e.py": "import pickle\n"})
        commit(repo, "feat: more")  # the head moved
        same(repo)
        git(repo, "checkout", "-q", "main")
        write_files(repo, {".quorum.yml": "version: 1\nagents:\n  logic:\n    enabled: false\n"})
        commit(repo, "policy: no logic agent")
        git(repo, "checkout", "-q", "feature")
        same(repo, "--base", "main")  # the policy changed on the base
        same(other)  # another repository
        (tmp_path / "cache" / "index" / CACHE_FILE).unlink()
        same(repo, "--base", "main")  # the index cache emptied under the kept rows
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()  # type: ignore[union-attr]
    shutil.rmtree(sock.parent, ignore_errors=True)


def test_the_served_child_builds_its_index_from_the_kept_rows(tmp_path: Path) -> None:
    """The server's child hands the rows it inherited to the review's index (the one place they
    are used), for the cache directory they came from."""
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    env = _env(tmp_path)
    code = (
        "import os, socket, sys\n"
        "from bot.cli import cmdserver, warmstate\n"
        "from bot.codeindex import build_index, lazy\n"
        "from bot.adapters.gitlocal import CatFile, Git, GitTree\n"
        "original = lazy.lazy_index\n"
        "def spy(tree, cache_dir=None, **kw):\n"
        "    sys.stderr.write(f\"WARM {len(kw.get('warm') or {})}\\n\")\n"
        "    return original(tree, cache_dir, **kw)\n"
        "lazy.lazy_index = spy\n"
        "request = {'argv': ['review', '--repo', sys.argv[1], '--format', 'json', '--no-log'], 'cwd': sys.argv[1],\n"
        "           'env': dict(os.environ), 'age_at_entry': None, 'entry_wall': 0.0}\n"
        "job = warmstate.job_of(request)\n"
        "git = Git(job.repo)\n"
        "build_index(GitTree(git, CatFile(job.repo), git.rev('HEAD')), job.cache_dir)\n"
        "warm = warmstate.WarmIndexRows()\n"
        "assert warm.load(job) == 4\n"
        "ours, theirs = socket.socketpair()\n"
        "cmdserver._child(ours, [os.dup(0), os.dup(1), os.dup(2)], request, warm)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "WARM 4" in out.stderr.splitlines()
    assert json.loads(out.stdout)["decision"]["action"]
