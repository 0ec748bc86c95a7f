"""Local bare mirrors of the repositories the App reviews: where an App review reads history.

One bare repository per installation and repository, ``<root>/<installation id>/<owner>+<name>.git``,
created on first need and fetched before each review whose base commit it does not hold yet
(history is read below the base commit only). Only the refs a review needs are fetched:
the base branch (``refs/heads/<base>``) and the pull request's head (``refs/pull/<n>/head``, which
GitHub keeps on the base repository, also for forks). Blobs are fetched (a full mirror, not a
``--filter=blob:none`` partial clone): ``git blame`` over a partial clone fetches each historical
version of a file one object at a time, with the token, during the review (measured in
docs/risk-model.md and ``evals/bench/bench_mirror.py``).

Security:

- the installation token never appears in an argv or a URL: it is sent as an
  ``Authorization: Basic`` header (``x-access-token:<token>``, the form GitHub documents for
  installation tokens over HTTPS) scoped to the git host, through the runner's ``secret_config``
  (``GIT_CONFIG_*`` variables of the git child only; :mod:`bot.adapters.gitrun`);
- the URL is fetched directly (no ``remote`` in the mirror's config, nothing to leak or reuse);
- every git call goes through :mod:`bot.adapters.gitrun` (scrubbed environment, no hooks, no
  credential helper, no ``ext::`` transport); the fetch also disables submodule recursion,
  tags, auto-gc and auto-maintenance.

Concurrency: two lock files per mirror (``flock``, so they work across threads and processes):
``<name>.fetch.lock`` (exclusive) serialises fetches and repacks; ``<name>.use.lock`` is held
shared by every review reading the mirror and exclusively, without waiting, by eviction, so a
mirror in use is never deleted. Lock files are never deleted.

Speed: each fetch also extends the mirror's commit-graph with changed-path Bloom filters
(``git commit-graph write --split --changed-paths``), which path-limited ``git log`` and ``git
blame`` use.

Bounds: each :meth:`MirrorStore.lease` has one deadline (``timeout_s``) for its lock waits, the
fetch and the repack; the free space must stay above ``min_free_bytes``; the total size of all
mirrors is capped (``max_bytes``): least recently used mirrors are evicted after each fetch.
Every failure raises :class:`MirrorError` (one line); the caller then reviews without history,
and the risk gate fails closed.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from bot.adapters.gitrun import GitError, run_git
from bot.core.errors import SourceError

log = structlog.get_logger("quorum.mirror")

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
"""GitHub's character sets for owner and repository names (an owner is at most 39 characters)."""
USED_FILE = "quorum-last-used"
"""A file inside each mirror whose mtime records when a review last used it (LRU eviction)."""
TOO_BIG_S = 24 * 3600
"""How long a repository whose mirror alone exceeds the cap is not cloned again (seconds)."""
REPACK_AFTER_PACKS = 32
"""A fetch that leaves more packs than this runs ``git repack --geometric=2 -d``."""
MAX_PULL_REFS = 200
"""PR head refs kept per mirror (the newest by committer date): every ref is a tip the next fetch's
negotiation may advertise, and an old PR's head is needed by no review."""


class MirrorError(SourceError):
    """A mirror could not be used for this review: ``str(exc)`` is one line saying why."""


@dataclass(frozen=True)
class MirrorInfo:
    """One mirror on disk: ``path``, ``size`` (bytes allocated), ``used`` (last use, Unix s)."""

    path: Path
    size: int
    used: float


@dataclass(frozen=True)
class SyncReport:
    """What :meth:`MirrorLease.sync` did: ``cloned`` (the mirror was created now), ``fetch_s``
    (seconds of git fetch), ``repacked``, ``size`` (bytes after), ``evicted`` (paths removed),
    ``fetched`` (False: the base commit was already there, nothing was fetched)."""

    cloned: bool
    fetch_s: float
    repacked: bool
    size: int
    evicted: tuple[Path, ...] = ()
    fetched: bool = True


def git_host_url(api_url: str) -> str:
    """The git host for a REST API root: ``https://api.github.com`` -> ``https://github.com``;
    GHES ``https://HOST/api/v3`` -> ``https://HOST``; anything else is used as is (no slash at the end)."""
    url = api_url.rstrip("/")
    if url == "https://api.github.com":
        return "https://github.com"
    return url.removesuffix("/api/v3")


def auth_header(token: str) -> str:
    """``Authorization: Basic base64("x-access-token:" + token)``: how GitHub accepts an installation
    token for git over HTTPS (GitHub docs, "Authenticating as a GitHub App installation")."""
    raw = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    return f"Authorization: Basic {raw}"


def dir_size(path: Path) -> int:
    """Bytes allocated on disk by the files below ``path`` (``st_blocks`` * 512; unreadable files count 0)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


class _Flock:
    """An ``flock`` on ``path`` taken with a deadline (polling every 50 ms)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, shared: bool, deadline: float | None) -> bool:
        """Take the lock; False when ``deadline`` (monotonic s; None: try once) passes first."""
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        while True:
            try:
                fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            if deadline is None or time.monotonic() >= deadline:
                self.release()
                return False
            time.sleep(0.05)

    def release(self) -> None:
        """Release the lock (safe to call twice)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class MirrorStore:
    """The App's mirrors under ``root`` (see the module docstring).

    ``git_url``: the git host (``https://github.com``; :func:`git_host_url`), or a ``file://`` root
    in tests; repository ``owner/name`` is fetched from ``<git_url>/owner/name.git``.
    ``max_bytes``: cap on the total size of all mirrors; ``timeout_s``: deadline of one lease's
    lock waits, fetch and repack, seconds; ``min_free_bytes``: a fetch is refused when the file
    system has less free space than this.
    """

    def __init__(self, root: Path, *, git_url: str, max_bytes: int, timeout_s: float = 300.0,
                 min_free_bytes: int = 1 << 30) -> None:
        self.root = Path(root)
        self.git_url = git_url.rstrip("/")
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.min_free_bytes = min_free_bytes

    def path_for(self, installation_id: int, repo: str) -> Path:
        """``<root>/<installation id>/<owner>+<name>.git``. Raises MirrorError for a name GitHub
        would not accept (so a name can never climb out of ``root``)."""
        owner, _, name = repo.partition("/")
        if not (_OWNER.match(owner) and _NAME.match(name)) or name in (".", "..") or name.endswith(".lock"):
            raise MirrorError(f"not a GitHub repository name: {repo[:200]!r}")
        return self.root / str(int(installation_id)) / f"{owner}+{name}.git"

    @contextlib.contextmanager
    def lease(self, installation_id: int, repo: str) -> Iterator[MirrorLease]:
        """Hold the mirror of ``repo`` for reading (shared lock: not evicted meanwhile). Raises
        MirrorError when the lock is not granted within ``timeout_s``."""
        path = self.path_for(installation_id, repo)
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout_s
        use = _Flock(path.with_suffix(".use.lock"))
        if not use.acquire(shared=True, deadline=deadline):
            raise MirrorError(f"mirror of {repo} is busy (waited {self.timeout_s:g}s)")
        try:
            yield MirrorLease(self, repo, path, deadline)
        finally:
            use.release()

    def mirrors(self) -> list[MirrorInfo]:
        """Every mirror under ``root`` with its size and last use."""
        out = []
        for path in sorted(self.root.glob("*/*.git")):
            if not path.is_dir():
                continue
            try:
                used = (path / USED_FILE).stat().st_mtime
            except OSError:
                used = 0.0
            out.append(MirrorInfo(path, dir_size(path), used))
        return out

    def evict(self, keep: Path | None = None) -> tuple[list[Path], int]:
        """Remove least recently used mirrors until the total is within ``max_bytes``; never
        ``keep`` nor a mirror a review holds. Returns ``(removed paths, total bytes left)``."""
        infos = self.mirrors()
        total = sum(m.size for m in infos)
        removed: list[Path] = []
        for m in sorted(infos, key=lambda m: m.used):
            if total <= self.max_bytes:
                break
            if keep is not None and m.path == keep:
                continue
            use = _Flock(m.path.with_suffix(".use.lock"))
            fetch = _Flock(m.path.with_suffix(".fetch.lock"))
            if not use.acquire(shared=False, deadline=None):
                continue
            try:
                if not fetch.acquire(shared=False, deadline=None):
                    continue
                try:
                    shutil.rmtree(m.path, ignore_errors=True)
                finally:
                    fetch.release()
            finally:
                use.release()
            total -= m.size
            removed.append(m.path)
            log.info("mirror.evicted", path=str(m.path), bytes=m.size, last_used=m.used)
        return removed, total


class MirrorLease:
    """One review's hold on one mirror (from :meth:`MirrorStore.lease`): :meth:`sync` fetches."""

    def __init__(self, store: MirrorStore, repo: str, path: Path, deadline: float) -> None:
        self.store = store
        self.repo = repo
        self.path = path
        self.deadline = deadline

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise MirrorError(f"mirror of {self.repo}: timed out after {self.store.timeout_s:g}s")
        return left

    def sync(self, *, base_ref: str, pr_number: int | None, need: str | None,
             token: Callable[[], str] | None, always: bool = False) -> SyncReport:
        """Create the mirror if missing, fetch ``base_ref`` and ``refs/pull/<pr_number>/head``,
        check that commit ``need`` (the review's base SHA) is present, evict others over the cap.

        History facts are read below the base commit only, so when ``need`` is already in the
        mirror (a re-review after a push to the PR, a second PR on the same base) nothing is
        fetched, unless ``always``.

        ``token`` returns the installation token (called once, only when fetching over HTTPS).
        Raises MirrorError (one line) on any failure: bad ref name, lock or fetch timeout, fetch
        error, too little free space, a mirror over the cap on its own, ``need`` missing.
        """
        store, path = self.store, self.path
        too_big = path.with_suffix(".too-big")
        with contextlib.suppress(OSError):
            if time.time() - too_big.stat().st_mtime < TOO_BIG_S:
                raise MirrorError(f"mirror of {self.repo} was over the cap of {store.max_bytes} bytes on its own; "
                                  f"not cloned again before {TOO_BIG_S // 3600} h")
        refspecs = [self._refspec("heads", base_ref)]
        if need is not None and not always and (path / "HEAD").is_file() and self._has_commit(need):
            (path / USED_FILE).touch()
            return SyncReport(cloned=False, fetch_s=0.0, repacked=False, size=dir_size(path), fetched=False)
        if pr_number is not None:
            refspecs.append(f"+refs/pull/{int(pr_number)}/head:refs/pull/{int(pr_number)}/head")
        fetch_lock = _Flock(path.with_suffix(".fetch.lock"))
        if not fetch_lock.acquire(shared=False, deadline=self.deadline):
            raise MirrorError(f"mirror of {self.repo}: another fetch held it for {store.timeout_s:g}s")
        try:
            cloned = self._ensure()
            free = shutil.disk_usage(path).free
            if free < store.min_free_bytes:
                raise MirrorError(f"mirror of {self.repo}: only {free} bytes free on {store.root} "
                                  f"(at least {store.min_free_bytes} needed)")
            t0 = time.monotonic()
            self._fetch(refspecs, token)
            fetch_s = time.monotonic() - t0
            self._trim_pull_refs()
            repacked = self._maybe_repack()
            self._commit_graph()
        finally:
            fetch_lock.release()
        if need is not None and not self._has_commit(need):
            raise MirrorError(f"mirror of {self.repo}: base commit {need[:12]} not found after the fetch")
        (path / USED_FILE).touch()
        size = dir_size(path)
        if size > store.max_bytes:
            too_big.touch()
            raise MirrorError(f"mirror of {self.repo} is {size} bytes, over the cap of {store.max_bytes} on its own")
        evicted, _ = store.evict(keep=path)
        return SyncReport(cloned=cloned, fetch_s=round(fetch_s, 3), repacked=repacked, size=size,
                          evicted=tuple(evicted))

    def _refspec(self, kind: str, ref: str) -> str:
        full = f"refs/{kind}/{ref}"
        ok = bool(ref) and not ref.startswith("-") and ":" not in ref and not any(c.isspace() for c in ref)
        if ok:
            ok = run_git(self.store.root, "check-ref-format", full, check=False, timeout=self._left()).returncode == 0
        if not ok:
            raise MirrorError(f"not a branch name: {ref[:200]!r}")
        return f"+{full}:{full}"

    def _ensure(self) -> bool:
        """Create the bare repository if it is missing or unusable (then rebuilt); True if created."""
        path = self.path
        if path.is_dir():
            # git -C searches upward for a repository: it must name this very directory, bare
            probe = run_git(path, "rev-parse", "--is-bare-repository", "--absolute-git-dir", check=False,
                            timeout=self._left())
            if probe.returncode == 0 and probe.stdout.split() == [b"true", os.fsencode(path.resolve())]:
                return False
            log.warning("mirror.corrupt", path=str(path), error=probe.stderr.decode("utf-8", "replace")[:200],
                        action="removed; cloning again")
            shutil.rmtree(path, ignore_errors=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            run_git(path.parent, "init", "--bare", "--quiet", str(tmp), timeout=self._left())
        except GitError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise MirrorError(f"mirror of {self.repo}: {exc}") from exc
        os.replace(tmp, path)
        return True

    def _fetch(self, refspecs: list[str], token: Callable[[], str] | None) -> None:
        url = f"{self.store.git_url}/{self.repo}.git"
        secret: dict[str, str] = {}
        if token is not None and url.startswith("https://"):
            try:
                value = token()
            except Exception as exc:  # noqa: BLE001 - any token failure means no history, never a crash
                raise MirrorError(f"mirror of {self.repo}: no installation token ({type(exc).__name__})") from exc
            secret[f"http.{self.store.git_url}/.extraheader"] = auth_header(value)
        # lowSpeed: a stalled transfer also ends the HTTP helper, which the timeout's kill of git may outlive
        config = ["fetch.unpackLimit=1", "submodule.recurse=false", "fetch.writeCommitGraph=false",
                  "protocol.allow=never", "protocol.https.allow=always", "protocol.file.allow=always",
                  "http.lowSpeedLimit=1000", "http.lowSpeedTime=60"]
        try:
            run_git(self.path, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
                    "--no-auto-gc", "--no-auto-maintenance", "--no-show-forced-updates", "--", url, *refspecs,
                    config=config, secret_config=secret, timeout=self._left())
        except GitError as exc:
            raise MirrorError(f"mirror of {self.repo}: {exc}") from exc

    def _trim_pull_refs(self) -> None:
        """Delete all but the :data:`MAX_PULL_REFS` newest ``refs/pull/*`` refs (objects stay)."""
        out = run_git(self.path, "for-each-ref", "--sort=-committerdate", "--format=%(refname)", "refs/pull/",
                      check=False, timeout=self._left()).stdout.decode("utf-8", "replace").split()
        old = out[MAX_PULL_REFS:]
        if old:
            script = "".join(f"delete {ref}\n" for ref in old)
            run_git(self.path, "update-ref", "--stdin", input=script.encode(), check=False, timeout=self._left())

    def _maybe_repack(self) -> bool:
        packs = list((self.path / "objects" / "pack").glob("*.pack"))
        if len(packs) <= REPACK_AFTER_PACKS:
            return False
        try:
            run_git(self.path, "repack", "--geometric=2", "-d", "-q", timeout=self._left())
        except (GitError, MirrorError) as exc:  # a mirror with many packs still works
            log.warning("mirror.repack_failed", path=str(self.path), error=str(exc))
            return False
        return True

    def _commit_graph(self) -> None:
        """Add the new commits to the commit-graph with changed-path Bloom filters, which ``git log --
        path`` and ``git blame`` use to skip commits that did not touch a path (measured on pydantic:
        history facts median 0.64 -> 0.29 s; the first write takes about 2-3 s, later ones tens of ms).
        A failure only costs speed: logged, not raised."""
        try:
            run_git(self.path, "commit-graph", "write", "--reachable", "--changed-paths", "--split", "--no-progress",
                    timeout=self._left())
        except (GitError, MirrorError) as exc:
            log.warning("mirror.commit_graph_failed", path=str(self.path), error=str(exc))

    def _has_commit(self, sha: str) -> bool:
        if not re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", sha):
            return False
        out = run_git(self.path, "cat-file", "-t", sha, check=False, timeout=self._left())
        return out.returncode == 0 and out.stdout.strip() == b"commit"


__all__ = ["MirrorError", "MirrorInfo", "MirrorLease", "MirrorStore", "SyncReport", "auth_header", "dir_size",
           "git_host_url"]
