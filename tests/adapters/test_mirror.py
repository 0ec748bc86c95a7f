"""The App's repository mirrors (bot.adapters.mirror) against "remote" repositories on local disk:
only the needed refs are fetched, every failure is one MirrorError, concurrent fetches do not
corrupt a mirror, the token never reaches an argv or a log line, and the disk cap evicts the least
recently used mirror that no review holds."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.adapters import gitrun
from bot.adapters.gitrun import run_git
from bot.adapters.mirror import (
    MirrorError,
    MirrorStore,
    _Flock,
    auth_header,
    git_host_url,
)
from bot.testing.fake_git import GitStore

TOKEN = "ghs_s3cr3tInstallationToken0123456789"


class Remote:
    """Bare repositories under ``tmp/remote`` standing in for GitHub: a ``main`` branch, PR heads."""

    def __init__(self, tmp_path: Path) -> None:
        self.git = GitStore(tmp_path / "remote")
        self.tips: dict[str, str] = {}
        self.files: dict[str, dict[str, bytes]] = {}

    def push(self, repo: str, ref: str, files: dict[str, str], message: str = "change") -> str:
        parent = self.tips.get(f"{repo} refs/heads/main")
        base = {} if parent is None else self.files.get(parent, {})
        tree = {**base, **{k: v.encode() for k, v in files.items()}}
        sha, _ = self.git.commit(repo, tree, [parent] if parent else [], author="ann", committer="ann", message=message)
        self.files[sha] = tree
        self.tips[f"{repo} {ref}"] = sha
        self.git.set_refs(repo, {ref: sha}, head="main")
        return sha


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return Remote(tmp_path)


def store(tmp_path: Path, remote: Remote, **kw: object) -> MirrorStore:
    opts: dict = {"max_bytes": 1 << 30, "timeout_s": 60.0, "min_free_bytes": 0}
    opts.update(kw)
    return MirrorStore(tmp_path / "mirrors", git_url=remote.git.url, **opts)


def refs(path: Path) -> dict[str, str]:
    out = run_git(path, "for-each-ref", "--format=%(refname) %(objectname)").stdout.decode().split("\n")
    return dict(line.split(" ") for line in out if line)


def test_first_use_clones_then_fetches_only_the_base_branch_and_the_pr_head(tmp_path: Path, remote: Remote) -> None:
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    head = remote.push("acme/app", "refs/pull/7/head", {"a.py": "x = 2\n"})
    remote.push("acme/app", "refs/heads/unrelated", {"b.py": "y = 1\n"})
    s = store(tmp_path, remote)
    with s.lease(5, "acme/app") as lease:
        first = lease.sync(base_ref="main", pr_number=7, need=base, token=None)
    assert first.cloned and first.size > 0
    assert lease.path == tmp_path / "mirrors" / "5" / "acme+app.git"
    assert refs(lease.path) == {"refs/heads/main": base, "refs/pull/7/head": head}
    assert (lease.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain").is_file()
    newer = remote.push("acme/app", "refs/heads/main", {"c.py": "z = 1\n"})
    with s.lease(5, "acme/app") as lease:
        again = lease.sync(base_ref="main", pr_number=None, need=newer, token=None)
    assert not again.cloned and refs(lease.path)["refs/heads/main"] == newer


def test_nothing_is_fetched_when_the_base_commit_is_already_there(tmp_path: Path, remote: Remote,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    remote.push("acme/app", "refs/pull/1/head", {"b.py": "y = 1\n"})
    s = store(tmp_path, remote)
    with s.lease(5, "acme/app") as lease:
        assert lease.sync(base_ref="main", pr_number=1, need=base, token=None).fetched
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(gitrun.subprocess, "run", spy)
    with s.lease(5, "acme/app") as lease:  # a push to the PR: same base, history unchanged
        again = lease.sync(base_ref="main", pr_number=1, need=base, token=lambda: TOKEN)
    assert not again.fetched and not again.cloned and again.fetch_s == 0.0
    assert not [c for c in seen if "fetch" in c]


def test_every_failure_is_one_mirror_error(tmp_path: Path, remote: Remote) -> None:
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    s = store(tmp_path, remote)
    with s.lease(5, "acme/app") as lease:
        with pytest.raises(MirrorError, match="base commit 000000000000 not found"):
            lease.sync(base_ref="main", pr_number=None, need="0" * 40, token=None)
        with pytest.raises(MirrorError, match="git fetch failed: fatal: couldn't find remote ref refs/heads/nope"):
            lease.sync(base_ref="nope", pr_number=None, need=base, token=None, always=True)
        with pytest.raises(MirrorError, match="not a branch name"):
            lease.sync(base_ref="--upload-pack=touch /tmp/x", pr_number=None, need=base, token=None)
    with store(tmp_path, remote, min_free_bytes=1 << 62).lease(5, "acme/app") as lease, \
            pytest.raises(MirrorError, match="bytes free"):
        lease.sync(base_ref="main", pr_number=None, need=base, token=None, always=True)
    with s.lease(5, "acme/gone") as lease, pytest.raises(MirrorError, match="git fetch failed") as err:
        lease.sync(base_ref="main", pr_number=None, need=base, token=None)
    assert "\n" not in str(err.value)
    for bad in ("../etc", "acme/..", "acme/a/b", "-x/y", "acme/x.lock", "acme/"):
        with pytest.raises(MirrorError, match="not a GitHub repository name"):
            s.path_for(5, bad)


def test_a_corrupt_mirror_is_rebuilt_and_a_broken_one_fails_closed(tmp_path: Path, remote: Remote) -> None:
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    s = store(tmp_path, remote)
    with s.lease(5, "acme/app") as lease:
        lease.sync(base_ref="main", pr_number=None, need=base, token=None)
        (lease.path / "HEAD").unlink()  # no longer a repository
        with capture_logs() as logs:
            report = lease.sync(base_ref="main", pr_number=None, need=base, token=None)
        assert report.cloned and refs(lease.path)["refs/heads/main"] == base
        assert any(e["event"] == "mirror.corrupt" for e in logs)
        for pack in (lease.path / "objects" / "pack").glob("*.pack"):  # objects unreadable
            os.chmod(pack, 0o600)
            pack.write_bytes(b"garbage")
        with pytest.raises(MirrorError):
            lease.sync(base_ref="main", pr_number=None, need=base, token=None)


def test_the_token_goes_to_git_in_the_environment_never_in_argv_nor_logs(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(cmd, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append((list(cmd), dict(kwargs.get("env") or {})))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(gitrun.subprocess, "run", spy)
    # an https host on loopback where nothing listens: git gets the header, then fails to connect
    s = MirrorStore(tmp_path / "mirrors", git_url="https://127.0.0.1:9", max_bytes=1 << 30, timeout_s=30,
                    min_free_bytes=0)
    with capture_logs() as logs, s.lease(5, "acme/app") as lease, pytest.raises(MirrorError) as err:
        lease.sync(base_ref="main", pr_number=3, need="a" * 40, token=lambda: TOKEN)
    encoded = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    fetches = [(cmd, env) for cmd, env in seen if "fetch" in cmd]
    assert len(fetches) == 1
    for cmd, env in seen:
        assert not any(TOKEN in a or encoded in a for a in cmd), cmd
    cmd, env = fetches[0]
    assert "https://127.0.0.1:9/acme/app.git" in cmd
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert env["GIT_CONFIG_KEY_0"] == "http.https://127.0.0.1:9/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"] == auth_header(TOKEN) == f"Authorization: Basic {encoded}"
    text = str(err.value) + repr(logs)
    assert TOKEN not in text and encoded not in text


def test_secret_config_takes_only_an_http_extra_header() -> None:
    env = gitrun.git_env(secret_config={"http.https://github.com/.extraheader": "Authorization: Basic eA=="})
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    for key, value in (("core.sshCommand", "evil"), ("http.proxy", "http://x"), ("core.hooksPath", "/tmp"),
                       ("http.extraheader", "a\nb")):
        with pytest.raises(ValueError, match="secret config"):
            gitrun.git_env(secret_config={key: value})


def test_git_host_of_an_api_root() -> None:
    assert git_host_url("https://api.github.com/") == "https://github.com"
    assert git_host_url("https://ghe.example.com/api/v3") == "https://ghe.example.com"


def test_concurrent_fetches_of_one_repository_leave_a_sound_mirror(tmp_path: Path, remote: Remote) -> None:
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    heads = {n: remote.push("acme/app", f"refs/pull/{n}/head", {f"f{n}.py": f"n = {n}\n"}) for n in range(1, 7)}
    s = store(tmp_path, remote)
    errors: list[BaseException] = []
    reports = []

    def review(n: int) -> None:
        try:
            with s.lease(5, "acme/app") as lease:
                reports.append(lease.sync(base_ref="main", pr_number=n, need=base, token=None, always=True))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=review, args=(n,)) for n in heads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(reports) == 6
    assert sum(r.cloned for r in reports) == 1  # one clone; the others waited for it, then fetched
    path = s.path_for(5, "acme/app")
    assert refs(path) == {"refs/heads/main": base, **{f"refs/pull/{n}/head": sha for n, sha in heads.items()}}
    assert run_git(path, "fsck", "--no-progress", check=False).returncode == 0
    assert not list(path.parent.glob(".*.tmp"))


def test_a_fetch_waits_for_another_only_until_the_deadline(tmp_path: Path, remote: Remote) -> None:
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    s = store(tmp_path, remote, timeout_s=0.3)
    path = s.path_for(5, "acme/app")
    path.parent.mkdir(parents=True)
    other = _Flock(path.with_suffix(".fetch.lock"))
    assert other.acquire(shared=False, deadline=None)
    try:
        with s.lease(5, "acme/app") as lease, pytest.raises(MirrorError, match="another fetch held it"):
            lease.sync(base_ref="main", pr_number=None, need=base, token=None)
    finally:
        other.release()


def test_the_disk_cap_evicts_the_least_recently_used_mirror_no_review_holds(tmp_path: Path, remote: Remote) -> None:
    shas = {name: remote.push(f"acme/{name}", "refs/heads/main", {"a.py": f"name = {name!r}\n" * 50})
            for name in ("a", "b", "c", "d")}
    s = store(tmp_path, remote)
    sizes = {}
    for i, name in enumerate(("a", "b")):
        with s.lease(5, f"acme/{name}") as lease:
            sizes[name] = lease.sync(base_ref="main", pr_number=None, need=shas[name], token=None).size
        os.utime(lease.path / "quorum-last-used", (1000 + i, 1000 + i))  # a is older than b
    capped = store(tmp_path, remote, max_bytes=sizes["a"] + sizes["b"] + sizes["a"] // 2)
    with capped.lease(5, "acme/c") as lease:
        report = lease.sync(base_ref="main", pr_number=None, need=shas["c"], token=None)
    assert report.evicted == (capped.path_for(5, "acme/a"),)
    assert sorted(p.path.name for p in capped.mirrors()) == ["acme+b.git", "acme+c.git"]
    # b is now the oldest, but a review holds it: c, the next oldest, goes instead
    os.utime(capped.path_for(5, "acme/c") / "quorum-last-used", (2000, 2000))
    with capped.lease(5, "acme/b"), capped.lease(5, "acme/d") as lease:
        report = lease.sync(base_ref="main", pr_number=None, need=shas["d"], token=None)
    assert report.evicted == (capped.path_for(5, "acme/c"),)
    # a mirror over the cap on its own is refused, and not cloned again at once
    tiny = store(tmp_path, remote, max_bytes=1)
    with tiny.lease(6, "acme/a") as lease:
        with pytest.raises(MirrorError, match="over the cap"):
            lease.sync(base_ref="main", pr_number=None, need=shas["a"], token=None)
        with pytest.raises(MirrorError, match="not cloned again"):
            lease.sync(base_ref="main", pr_number=None, need=shas["a"], token=None)


def test_a_fetch_that_hangs_is_cut_at_the_deadline(tmp_path: Path) -> None:
    import socket

    # a loopback "git host" that accepts the connection and never answers (no TLS handshake)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    try:
        s = MirrorStore(tmp_path / "mirrors", git_url=f"https://127.0.0.1:{port}", max_bytes=1 << 30, timeout_s=1.5,
                        min_free_bytes=0)
        with s.lease(5, "acme/app") as lease, pytest.raises(MirrorError, match="timed out"):
            lease.sync(base_ref="main", pr_number=None, need="a" * 40, token=lambda: TOKEN)
    finally:
        server.close()


_SYNC_SCRIPT = """
import sys
from pathlib import Path
from bot.adapters.mirror import MirrorStore
store = MirrorStore(Path(sys.argv[1]), git_url=sys.argv[2], max_bytes=1 << 30, timeout_s=60, min_free_bytes=0)
with store.lease(5, "acme/app") as lease:
    print(lease.sync(base_ref="main", pr_number=int(sys.argv[3]), need=sys.argv[4], token=None, always=True).cloned)
"""


def test_worker_processes_share_one_mirror_safely(tmp_path: Path, remote: Remote) -> None:
    import sys

    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    heads = {n: remote.push("acme/app", f"refs/pull/{n}/head", {f"f{n}.py": f"n = {n}\n"}) for n in (1, 2, 3)}
    procs = [subprocess.Popen([sys.executable, "-c", _SYNC_SCRIPT, str(tmp_path / "mirrors"), remote.git.url, str(n), base],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in heads]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sorted(out.strip() for out, _ in outs) == ["False", "False", "True"]  # one clone across processes
    path = tmp_path / "mirrors" / "5" / "acme+app.git"
    assert refs(path) == {"refs/heads/main": base, **{f"refs/pull/{n}/head": sha for n, sha in heads.items()}}
    assert run_git(path, "fsck", "--no-progress", check=False).returncode == 0


def test_only_the_newest_pr_heads_are_kept(tmp_path: Path, remote: Remote, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters import mirror

    monkeypatch.setattr(mirror, "MAX_PULL_REFS", 2)
    base = remote.push("acme/app", "refs/heads/main", {"a.py": "x = 1\n"})
    heads = {n: remote.push("acme/app", f"refs/pull/{n}/head", {f"f{n}.py": f"n = {n}\n"}) for n in (1, 2, 3)}
    s = store(tmp_path, remote)
    for n in heads:
        with s.lease(5, "acme/app") as lease:
            lease.sync(base_ref="main", pr_number=n, need=base, token=None, always=True)
    assert refs(lease.path) == {"refs/heads/main": base, "refs/pull/2/head": heads[2], "refs/pull/3/head": heads[3]}
