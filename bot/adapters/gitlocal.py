"""Local git adapter: a PullRequestSource over any clone (bare or not), reading git objects only.

Never checks out, never runs hooks, filters, textconv or external diff drivers from the repository:
every git call goes through :mod:`bot.adapters.gitrun` and only reads objects.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.adapters.gitrun import GitError, popen_git, run_git
from bot.core.beside import Beside
from bot.core.diff import Diff, DiffError, parse_diff
from bot.core.errors import SourceError
from bot.core.models import PullRequestInfo
from bot.core.protocols import Snapshot
from bot.core.repoid import repo_identity

POLICY_FILES = (".quorum.yml", ".quorum.yaml")
RISK_MODEL_FILES = (".quorum/risk-model.json",)
CODEOWNERS_FILES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")

_POLICY_PATHS = (*POLICY_FILES, *CODEOWNERS_FILES, *RISK_MODEL_FILES)

MAX_DIFF_BYTES = 64 * 1024 * 1024
"""Diff text beyond this many bytes is cut and the diff marked truncated."""


class Git:
    """Read-only git commands in one repository, through the project's one runner
    (:mod:`bot.adapters.gitrun`: scrubbed environment, no program from any config)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def run(self, *args: str, check: bool = True, max_bytes: int | None = None, objects_only: bool = False) -> bytes:
        """Run ``git -C path args`` and return stdout bytes.

        Raises SourceError (GitError) with git's first stderr line when it fails and ``check`` is
        set. With ``max_bytes`` output beyond that size is cut (the process is killed).
        ``objects_only``: see :func:`bot.adapters.gitrun.run_git` (a diff of two commits).
        """
        return run_git(self.path, *args, check=check, max_bytes=max_bytes, objects_only=objects_only).stdout

    def rev(self, ref: str) -> str | None:
        """Full commit SHA of ``ref``, or None when it does not name a commit."""
        out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        sha = out.decode().strip()
        return sha or None


def _is_sha(text: str) -> bool:
    """A full SHA-1 or SHA-256 object name in lower-case hex."""
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


BATCH_BYTES = 32_768
"""The most request bytes :meth:`CatFile.read_many` writes to git at once (~800 object names; a
Linux pipe holds 64 KiB)."""


class CatFile:
    """A long-lived ``git cat-file --batch`` process; thread-safe. Reads blobs by SHA or ``rev:path``.

    One per process: in a child forked after it started (:mod:`bot.agentprocs`), the next read
    starts the child's own git process; the parent's pipes, and the duty to stop its process,
    stay the parent's (:func:`_forget_in_child`)."""

    def __init__(self, repo: str) -> None:
        self._repo = repo
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None
        _LIVE.add(self)

    def _forget(self) -> None:
        """In a forked child: drop the parent's git process without touching it."""
        self._lock = threading.Lock()
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = None
        self._proc = None

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = popen_git(
                self._repo, "cat-file", "--batch",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
            self._finalizer = weakref.finalize(self, _stop, self._proc)
        return self._proc

    def read(self, spec: str) -> tuple[str, bytes] | None:
        """Return ``(object_type, bytes)`` for an object spec, or None when missing."""
        if "\n" in spec:
            return None
        with self._lock:
            proc = self._ensure()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().decode("utf-8", "replace").split()
            if len(header) != 3:
                return None
            _, otype, size = header
            data = proc.stdout.read(int(size))
            proc.stdout.read(1)
            return otype, data

    def read_many(self, specs: list[str]) -> list[tuple[str, str, bytes] | None]:
        """``(object name, type, bytes)`` of each spec, in order (None when missing, ambiguous or
        not a single-line spec), asked in batches of at most :data:`BATCH_BYTES` of requests: one
        write and one wait per batch instead of one per object. Writing a batch never waits on
        git: it fits in the empty pipe git reads from, so git, which may block writing its answers
        until they are read, cannot hold it up. A git that exits early gives None for the rest."""
        out: list[tuple[str, str, bytes] | None] = [None] * len(specs)
        batches: list[list[tuple[int, bytes]]] = []
        size = BATCH_BYTES
        for i, spec in enumerate(specs):
            if "\n" in spec:
                continue
            line = spec.encode("utf-8", "surrogateescape") + b"\n"
            if size + len(line) > BATCH_BYTES:
                batches.append([])
                size = 0
            batches[-1].append((i, line))
            size += len(line)
        with self._lock:
            for batch in batches:
                proc = self._ensure()
                assert proc.stdin is not None and proc.stdout is not None
                try:
                    proc.stdin.write(b"".join(line for _, line in batch))
                    proc.stdin.flush()
                except OSError:  # git is gone (not a repository): every answer is None
                    return out
                for i, _ in batch:
                    header = proc.stdout.readline().decode("utf-8", "replace").split()
                    if len(header) != 3 or not header[2].isdigit():  # "<spec> missing", "<spec> ambiguous"
                        if not header:  # end of output: git exited
                            return out
                        continue
                    name, otype, size_text = header
                    data = proc.stdout.read(int(size_text))
                    proc.stdout.read(1)
                    out[i] = (name, otype, data)
        return out

    def close(self) -> None:
        """Stop the git process (also done automatically when this object is collected)."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._proc = None
            self._finalizer = None


_LIVE: weakref.WeakSet[CatFile] = weakref.WeakSet()


def _forget_in_child() -> None:
    """``os.register_at_fork`` hook, in the child: every CatFile starts its own git process."""
    for cat in list(_LIVE):
        cat._forget()


os.register_at_fork(after_in_child=_forget_in_child)


class _Listing:
    """One ``git ls-tree`` run started ahead, its output to an anonymous file
    (:meth:`GitTree.prefetch_listing`). Its :meth:`output` is that of a successful run, else None
    (the caller runs git itself, which reports the error); in a process forked after the start and
    before the output was read it is None (only the parent may wait for its child), so such a
    child lists on its own."""

    def __init__(self, proc: subprocess.Popen[bytes], out: Any, pid: int) -> None:
        self._proc: subprocess.Popen[bytes] | None = proc
        self._out = out
        self._pid = pid
        self._data: bytes | None = None

    @classmethod
    def start(cls, repo: str, args: tuple[str, ...]) -> _Listing | None:
        """``git args`` in ``repo``, started; None when it cannot start (no file, no process, no git)."""
        try:
            out = _anonymous_file()
        except OSError:
            return None
        try:
            proc = popen_git(repo, *args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
        except (OSError, GitError):
            out.close()
            return None
        return cls(proc, out, os.getpid())

    def output(self) -> bytes | None:
        """The run's stdout once it exited 0 (waiting for it), else None; read once, then kept
        (a child forked after it was read has it too)."""
        if self._proc is not None and self._pid != os.getpid():
            return None
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.wait() == 0:
                    self._out.seek(0)
                    self._data = self._out.read()
            finally:
                self._out.close()
        return self._data

    def discard(self) -> None:
        """Stop the run if it still runs and reap it, and close its file (only in the process that
        started it)."""
        if self._pid != os.getpid():
            return
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            finally:
                self._out.close()


def _anonymous_file() -> Any:
    """A read-write binary file with no name (``memfd_create`` where Linux has it, else an unnamed
    temporary file). Raises OSError."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("quorum-ls-tree", os.MFD_CLOEXEC), "w+b")
    import tempfile  # noqa: PLC0415 - only where memfd_create is missing

    return tempfile.TemporaryFile()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Close a cat-file process's pipes and reap it. A request left in the pipe of a git that is
    gone (not a repository) is dropped: closing then raises BrokenPipeError, and the file is closed
    all the same."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_REGULAR, _DIRECTORY, _TYPE_BITS = 0o100000, 0o040000, 0o170000


def tree_entries(data: bytes, oid_bytes: int) -> dict[bytes, tuple[int, str]]:
    """``{name: (mode, object id in hex)}`` of a raw git tree object (``<octal mode> <name>\\0<id>``
    entries; ``oid_bytes`` is 20 for SHA-1, 32 for SHA-256). A name listed twice keeps its last
    entry, as the path map of ``git ls-tree -r`` does. Raises ValueError on a malformed object."""
    entries: dict[bytes, tuple[int, str]] = {}
    pos, n = 0, len(data)
    while pos < n:
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        end = nul + 1 + oid_bytes
        if end > n:
            raise ValueError("truncated tree object")
        entries[data[space + 1 : nul]] = (int(data[pos:space], 8), data[nul + 1 : end].hex())
        pos = end
    return entries


def listing_entries(files: Mapping[str, str]) -> dict[bytes, tuple[str, str]]:
    """``{entry: (path, blob)}``: each entry of ``git ls-tree -r -z`` output (``<mode> blob
    <blob>\\t<path>``, either regular-file mode) that lists a file of ``files`` (``path -> blob``, a
    :meth:`GitTree.list_files` listing), for :meth:`GitTree.list_files`'s ``known``."""
    out: dict[bytes, tuple[str, str]] = {}
    for path, blob in files.items():
        tail = b" blob " + blob.encode() + b"\t" + path.encode("utf-8", "surrogateescape")
        out[b"100644" + tail] = out[b"100755" + tail] = (path, blob)
    return out


class GitTree:
    """TreeView of one commit in a local repository (see ``bot.core.protocols.TreeView``).

    A path is found without listing the whole tree: :meth:`blob_ids` reads the tree objects on its
    way through the shared ``git cat-file --batch`` process, one batch per directory level, and
    keeps them (a review reads a handful of paths in a few directories; ``git ls-tree -r`` of a
    large repository takes several milliseconds). It finds exactly the files :meth:`list_files`
    lists: regular files (git reads any regular-file mode as 100644 or 100755), not symbolic
    links, submodules or directories."""

    def __init__(self, git: Git, cat: CatFile, sha: str) -> None:
        self._git = git
        self._cat = cat
        self.sha = sha
        self._files: dict[str, str] | None = None
        self._trees: dict[str, dict[bytes, tuple[int, str]]] = {}
        """Tree objects read so far: ``{spec: entries}``, the root under
        ``<sha>^{tree}``, subdirectories under their object id."""
        self._listing: _Listing | None = None
        """``git ls-tree`` started ahead (:meth:`prefetch_listing`), or its output once settled."""

    def list_files(self, known: Mapping[bytes, tuple[str, str]] | None = None) -> dict[str, str]:
        """Regular files (modes 100644/100755) -> blob SHA, from ``git ls-tree -r -z``.

        ``known``: output entries already parsed, ``{entry: (path, blob)}`` as
        :func:`listing_entries` makes them (the command server keeps those of the last tree it
        reviewed, :mod:`bot.cli.warmstate`); an entry found there is taken as is (an entry names
        its mode, blob and path, so it means the same in any tree), the others are parsed. Only
        the first call lists; later ones return that listing."""
        if self._files is None:
            out = self._listing.output() if self._listing is not None else None
            self._listing = None
            if out is None:
                out = self._git.run(*self._ls_tree_args())
            files: dict[str, str] = {}
            for entry in out.split(b"\0"):
                if not entry:
                    continue
                hit = known.get(entry) if known else None
                if hit is not None:
                    files[hit[0]] = hit[1]
                    continue
                meta, _, path = entry.partition(b"\t")
                mode, otype, blob = meta.decode().split()
                if otype == "blob" and mode in ("100644", "100755"):
                    files[path.decode("utf-8", "surrogateescape")] = blob
            self._files = files
        return self._files

    def _ls_tree_args(self) -> tuple[str, ...]:
        return ("ls-tree", "-r", "-z", "--full-tree", self.sha)

    def prefetch_listing(self) -> None:
        """Start the ``git ls-tree`` that :meth:`list_files` reads, now, without waiting for it: its
        output goes to an anonymous file (a pipe would fill and stop it). A review starts it as soon
        as it knows it will build a code index, so that the listing is read while it sets up
        (:func:`bot.pipeline.run_review`). Nothing when listed or started already, or when no process
        or file can be had (:meth:`list_files` then lists as before)."""
        if self._files is None and self._listing is None:
            self._listing = _Listing.start(self._git.path, self._ls_tree_args())

    def settle_listing(self) -> None:
        """Wait for a listing :meth:`prefetch_listing` started and keep its output, unparsed (a
        review does this before it forks its agents, so that the child that builds the code index
        finds it read; a child never waits on a process its parent started)."""
        if self._listing is not None:
            self._listing.output()

    def blob_ids(self, paths: list[str]) -> dict[str, str | None]:
        """``{path: blob id}`` of each path, None where :meth:`list_files` has no such file (see the
        class docstring); from the listing when it was read, else from the tree objects. Raises
        GitError when git fails."""
        if self._files is not None:
            return {path: self._files.get(path) for path in paths}
        out: dict[str, str | None] = {}
        walks: dict[str, tuple[str, list[bytes]]] = {}
        for path in paths:
            parts = path.encode("utf-8", "surrogateescape").split(b"/")
            if all(parts):
                walks[path] = (f"{self.sha}^{{tree}}", parts)
            else:  # "", "/a", "a//b", "a/": never a listed path
                out[path] = None
        while walks:
            self._load_trees([spec for spec, _ in walks.values()])
            deeper: dict[str, tuple[str, list[bytes]]] = {}
            for path, (spec, parts) in walks.items():
                entry = self._trees[spec].get(parts[0])
                if entry is not None and len(parts) > 1 and entry[0] & _TYPE_BITS == _DIRECTORY:
                    deeper[path] = (entry[1], parts[1:])
                else:
                    out[path] = entry[1] if entry is not None and len(parts) == 1 and \
                        entry[0] & _TYPE_BITS == _REGULAR else None
            walks = deeper
        return out

    def _load_trees(self, specs: list[str]) -> None:
        """Read the tree objects among ``specs`` not read yet, in one batch. Each is this commit's
        root or a directory listed in a tree read before: one git cannot give is an error (as for
        ``git ls-tree -r``), never an absent file."""
        wanted = sorted({spec for spec in specs if spec not in self._trees})
        if not wanted:
            return
        for spec, got in zip(wanted, self._cat.read_many(wanted), strict=True):
            if got is None or got[1] != "tree":
                raise GitError(f"git cat-file: cannot read tree {spec} of {self.sha[:12]}")
            try:  # the object's own name says the hash's size (SHA-1 or SHA-256), whatever self.sha is
                self._trees[spec] = tree_entries(got[2], len(got[0]) // 2)
            except ValueError as exc:
                raise GitError(f"git cat-file: malformed tree object {got[0]}") from exc

    def read(self, path: str) -> bytes | None:
        """File bytes at this commit, or None (missing, a tree, a submodule, a symbolic link)."""
        blob = self.blob_ids([path])[path]
        if blob is None:
            return None
        return self.read_blob(blob)

    def read_many(self, paths: list[str]) -> dict[str, bytes | None]:
        """:meth:`read` of each path, every blob asked of git in one batch."""
        blobs = self.blob_ids(paths)
        wanted = sorted({blob for blob in blobs.values() if blob is not None})
        got = dict(zip(wanted, self._cat.read_many(wanted), strict=True))
        out: dict[str, bytes | None] = {}
        for path, blob in blobs.items():
            found = got.get(blob) if blob is not None else None
            out[path] = found[2] if found is not None and found[1] == "blob" else None
        return out

    def read_blob(self, blob_sha: str) -> bytes | None:
        """Blob bytes by SHA, or None."""
        got = self._cat.read(blob_sha)
        if got is None or got[0] != "blob":
            return None
        return got[1]

    def blob_sizes(self, shas: list[str]) -> dict[str, int]:
        """``{sha: size in bytes}`` of the blobs among ``shas`` (others left out), from one
        ``git cat-file --batch-check``. Raises GitError when git fails."""
        out = run_git(self._git.path, "cat-file", "--batch-check", input="".join(s + "\n" for s in shas).encode()).stdout
        sizes: dict[str, int] = {}
        for line in out.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == "blob":
                sizes[parts[0]] = int(parts[2])
        return sizes

    def read_blobs(self, shas: list[str]) -> dict[str, memoryview]:
        """``{sha: content}`` of the blobs among ``shas`` (others left out), from one
        ``git cat-file --batch`` fed every SHA at once: no round trip per blob, as
        :meth:`read_blob` has. Each content is a read-only view into git's one output buffer (no
        copy per blob; ``bytes(view)`` copies one). Raises GitError when git fails."""
        out = run_git(self._git.path, "cat-file", "--batch", input="".join(s + "\n" for s in shas).encode()).stdout
        view = memoryview(out)
        blobs: dict[str, memoryview] = {}
        pos, n = 0, len(out)
        while pos < n:
            eol = out.find(b"\n", pos)
            if eol < 0:
                break
            parts = out[pos:eol].split()
            pos = eol + 1
            if len(parts) != 3:  # "<sha> missing"
                continue
            size = int(parts[2])
            if parts[1] == b"blob":
                blobs[parts[0].decode()] = view[pos : pos + size]
            pos += size + 1
        return blobs

    def close(self) -> None:
        """Stop the ``git cat-file`` process this tree reads through (shared by base and head), and
        a listing started ahead and never read (:meth:`prefetch_listing`)."""
        listing, self._listing = self._listing, None
        if listing is not None:
            listing.discard()
        self._cat.close()


def origin_head(git: Git) -> str:
    """``origin/HEAD``'s target (``origin/main``), '' when it has none (``git symbolic-ref``)."""
    return git.run("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD", check=False).decode().strip().removeprefix(
        "refs/remotes/")


def default_branch(git: Git, origin: str | None = None) -> str | None:
    """The default branch ref: ``origin/HEAD``'s target (``origin``, when already read with
    :func:`origin_head`), else ``main``/``master``/``trunk``, else None."""
    out = origin_head(git) if origin is None else origin
    if out:
        return out
    for name in ("main", "master", "trunk", "origin/main", "origin/master"):
        if git.rev(name):
            return name
    return None


class LocalGitSource:
    """PullRequestSource over a local repository: the change from ``base`` to ``head`` as a PR.

    ``base`` names the target (a branch, or any commit); the diff is taken from the merge base of
    ``head`` with it, and the policy and CODEOWNERS from the target's own commit (for a branch, its
    tip now: a policy tightened on the branch after ``head`` forked applies). ``base`` defaults to
    the default branch; when ``head`` is on the default branch (merge base == head), the diff and
    the policy are both the head commit's first parent. Title and body default to
    the head commit's message; author to its author name. Raises SourceError (one line) for a path
    that is not a git repository, unknown refs, or a root commit with no base. The snapshot's
    ``pr.repo`` is ``owner/name`` when the clone has a GitHub remote, else its absolute path
    (:func:`bot.core.repoid.repo_identity`).
    """

    def __init__(
        self,
        repo: str | Path,
        *,
        base: str | None = None,
        head: str = "HEAD",
        title: str | None = None,
        body: str | None = None,
        author: str | None = None,
        number: int | None = None,
        max_diff_bytes: int = MAX_DIFF_BYTES,
        description_known: bool | None = None,
    ) -> None:
        self.repo = str(Path(repo).expanduser().resolve())
        self.description_known = body is not None if description_known is None else description_known
        self.base_ref = base
        self.head_ref = head
        self.title = title
        self.body = body
        self.author = author
        self.number = number
        self.max_diff_bytes = max_diff_bytes

    def snapshot(self) -> Snapshot:
        """Read the change; see the class docstring. Raises SourceError.

        The commits are resolved, and the head commit read (its author and message), with one
        request to the ``git cat-file --batch`` process the trees read through
        (:func:`resolve_commits`); the reads that do not wait for one another then run side by
        side (each in a thread of its own, :class:`bot.core.beside.Beside`): the repository's
        config (remotes), the merge base and the policy files beside the diff. The policy files
        are looked up in the policy commit's tree objects through the same ``cat-file``
        (:meth:`GitTree.blob_ids`), not in a listing of the whole tree. When both refs name fixed
        commits (:func:`_fixed`: full SHAs, or ``SHA^`` as the bench passes its base), the diff
        and the merge base start at once, beside the resolution. Each result is collected in the
        order the code used to run them one after another, so the first failure reported is the
        same; every thread is
        joined before this returns or raises. Any ref ``cat-file`` does not settle (not a
        repository, an unknown or unusual ref) takes the path that asks one question at a time
        (``git rev-parse`` and ``git show``) and names what failed."""
        if not Path(self.repo).is_dir():
            raise SourceError(f"not a directory: {self.repo}")
        git = Git(self.repo)
        side: list[Beside] = []
        cat = CatFile(self.repo)
        try:
            return self._snapshot(git, side, cat)
        except BaseException:
            for job in side:
                job.join()
            cat.close()  # its git process started with the resolution: stopped now, not when collected
            raise
        finally:
            for job in side:
                job.join()

    def _snapshot(self, git: Git, side: list[Beside], cat: CatFile) -> Snapshot:
        raw: bytes | None = None
        policy_tree: GitTree | None = None
        config = Beside(side, _config, git, name="quorum-git")
        origin = None if self.base_ref else Beside(side, origin_head, git, name="quorum-git")
        early = None
        if self.base_ref and _fixed(self.base_ref) and _fixed(self.head_ref):
            # Both name fixed commits (a full SHA, maybe with ^/~ steps): the diff and the merge base
            # cannot depend on when they are read, so they start now, beside the resolution.
            early = Beside(side, self._merge_bases_and_diff, git, side, self.base_ref, self.head_ref, name="quorum-git")
        known = resolve_commits(cat, [self.head_ref, *([self.base_ref] if self.base_ref else [])])
        if known is None:  # not a repository, or a ref that does not resolve: the precise error below
            probe = git.run("rev-parse", "--git-dir", check=False)
            if not probe.strip():
                raise SourceError(f"not a git repository: {self.repo}")
            head_sha = git.rev(self.head_ref)
            if head_sha is None:
                raise SourceError(f"unknown ref: {self.head_ref!r} does not name a commit in {self.repo}")
            head_commit = None
            base_sha, policy_sha = self._resolve_base(git, head_sha)
        elif self.base_ref:  # both commits known: the merge base and the diff from it side by side
            (head_sha, head_commit), (policy_sha, _) = known
            policy_tree = GitTree(git, cat, policy_sha)
            policy_files = Beside(side, policy_tree.read_many, list(_POLICY_PATHS), name="quorum-git")
            found, raw = early.result() if early is not None else self._merge_bases_and_diff(git, side, policy_sha,
                                                                                               head_sha)
            base_sha = found[0] if found else policy_sha
        else:
            (head_sha, head_commit), = known
            branch = default_branch(git, origin.result() if origin is not None else None)
            tip = _tip(git, cat, branch) if branch else None
            # as _resolve_base, with the diff from the merge base asked beside it
            found, raw = self._merge_bases_and_diff(git, side, tip, head_sha) if tip is not None else ([], None)
            if found and found[0] != head_sha:
                base_sha, policy_sha = found[0], tip
            else:  # no default branch, no merge base, or head is on it: the first parent
                raw = None
                base_sha, policy_sha = self._parent_base(git, head_sha)
        if policy_tree is None:
            policy_tree = GitTree(git, cat, policy_sha)
            policy_files = Beside(side, policy_tree.read_many, list(_POLICY_PATHS), name="quorum-git")
        base_tree = policy_tree if base_sha == policy_sha else GitTree(git, cat, base_sha)
        if raw is None:
            raw = self._diff(git, base_sha, head_sha)
        cut = len(raw) > self.max_diff_bytes
        if cut:
            raw = raw[: raw.rfind(b"\ndiff --git ", 0, self.max_diff_bytes) + 1]
        try:
            diff = parse_diff(raw.decode("utf-8", "surrogateescape"))
        except DiffError as exc:
            raise SourceError(str(exc)) from exc
        if cut:
            diff = _mark_truncated(diff, f"diff larger than {self.max_diff_bytes} bytes")
            diff = diff.model_copy(update={"whole": _numstat(git, base_sha, head_sha)})
        remotes, reencodes = config.result()
        facts = None if head_commit is None or reencodes else commit_facts(head_commit)
        subject, message_body, author_name = facts or self._commit_facts(git, head_sha)
        repo = repo_identity(self.repo, remotes)
        policy_texts = policy_files.result()
        pr = PullRequestInfo(
            repo=repo,
            number=self.number,
            title=self.title if self.title is not None else subject,
            body=self.body if self.body is not None else message_body,
            author=self.author if self.author is not None else author_name,
            base_ref=self.base_ref or "",
            head_ref=self.head_ref,
            base_sha=base_sha,
            head_sha=head_sha,
            policy_sha=policy_sha,
            description_known=self.description_known,
        )
        return Snapshot(
            pr=pr,
            diff=diff,
            base=base_tree,
            head=GitTree(git, cat, head_sha),
            policy_text=_first_text(policy_texts, POLICY_FILES),
            codeowners_text=_first_text(policy_texts, CODEOWNERS_FILES),
            risk_model_text=_first_text(policy_texts, RISK_MODEL_FILES),
        )

    def _resolve_base(self, git: Git, head_sha: str, base_sha: str | None = None) -> tuple[str, str]:
        """``(merge base the diff starts from, target commit the policy is read from)``;
        ``base_sha`` is ``base``'s commit when already resolved."""
        if self.base_ref:
            sha = base_sha or git.rev(self.base_ref)
            if sha is None:
                raise SourceError(f"unknown ref: {self.base_ref!r} does not name a commit in {self.repo}")
            return git.run("merge-base", sha, head_sha, check=False).decode().strip() or sha, sha
        branch = default_branch(git)
        if branch:
            tip = git.rev(branch)
            mb = git.run("merge-base", branch, head_sha, check=False).decode().strip()
            if mb and mb != head_sha and tip:
                return mb, tip
        return self._parent_base(git, head_sha)

    @staticmethod
    def _parent_base(git: Git, head_sha: str) -> tuple[str, str]:
        """``(first parent, first parent)`` of ``head_sha``; raises SourceError for a root commit."""
        parent = git.rev(f"{head_sha}^1")
        if parent is None:
            raise SourceError(f"{head_sha[:12]} is a root commit: pass --base to say what to compare it with")
        return parent, parent

    def _merge_bases_and_diff(self, git: Git, side: list[Beside], target: str,
                              head_sha: str) -> tuple[list[str], bytes | None]:
        """``(every merge base of target and head, in git's order; the diff from the first)``, asked
        side by side: ``git merge-base --all`` in a thread (added to ``side``) while this one runs
        ``git diff target...head``, which diffs from the first merge base, the line ``git
        merge-base`` prints first (git-diff(1), "A...B"). The diff is None unless there is exactly
        one merge base and it succeeded: the caller then takes it from the base it chooses, as
        before. Same bytes, one git process less in a row."""
        bases = Beside(side, _merge_bases, git, target, head_sha, name="quorum-git")
        try:
            raw: bytes | None = self._diff(git, f"{target}...{head_sha}")
        except SourceError:
            raw = None
        found = bases.result()
        return found, raw if len(found) == 1 else None

    def _diff(self, git: Git, *revs: str, check: bool = True) -> bytes:
        """``git diff`` of ``revs`` (two commits, or ``A...B``) as the snapshot parses it, read up
        to :attr:`max_diff_bytes` + 1 bytes. Raises SourceError when git fails and ``check``."""
        return git.run(
            "diff", "--full-index", "-M", "--no-color", "--no-ext-diff", "--no-textconv",
            "--submodule=short", "--src-prefix=a/", "--dst-prefix=b/", "--end-of-options", *revs,
            check=check, max_bytes=self.max_diff_bytes, objects_only=True,
        )

    @staticmethod
    def _commit_facts(git: Git, sha: str) -> tuple[str, str, str]:
        out = git.run("show", "-s", "--format=%an%x00%B", sha).decode("utf-8", "replace")
        author, _, message = out.partition("\0")
        subject, _, body = message.strip().partition("\n")
        return subject.strip(), body.strip(), author.strip()


def _merge_bases(git: Git, a: str, b: str) -> list[str]:
    """Every merge base of commits ``a`` and ``b`` (``git merge-base --all``), in git's order; []
    when they have none or git fails."""
    return git.run("merge-base", "--all", a, b, check=False).decode().split()


def _config(git: Git) -> tuple[dict[str, str], bool]:
    """``(remote name -> URL, whether any i18n.* setting is present)`` from the repository's
    config, in one read (nothing is contacted). An ``i18n`` setting (``logOutputEncoding``) may
    make ``git show`` re-encode a message, which :func:`commit_facts` does not."""
    out = git.run("config", "--get-regexp", r"^(remote\..*\.url|i18n\..*)$", check=False).decode("utf-8", "replace")
    remotes: dict[str, str] = {}
    i18n = False
    for line in out.splitlines():
        key, _, url = line.partition(" ")
        if key.startswith("i18n."):
            i18n = True
            continue
        name = key.removeprefix("remote.").removesuffix(".url")
        if name and url:
            remotes.setdefault(name, url.strip())
    return remotes, i18n


def resolve_commits(cat: CatFile, refs: list[str]) -> list[tuple[str, bytes]] | None:
    """``[(commit SHA, raw commit object)]`` of ``refs``, in order, from one request to ``cat``
    (``<ref>^{commit}`` each, as ``git rev-parse`` resolves it). None when that does not settle
    it: no refs, a ref that is not a plain name (empty, starting with ``-`` or ``^``, holding
    ``..`` or white space), one git does not resolve to a single commit, or not a repository
    (the caller then asks ``git rev-parse`` one ref at a time, which says which one failed)."""
    if not refs or any(not r or r.startswith(("-", "^")) or ".." in r or any(c.isspace() for c in r) for r in refs):
        return None
    got = cat.read_many([f"{r}^{{commit}}" for r in refs])
    if any(g is None or g[1] != "commit" or not _is_sha(g[0]) for g in got):
        return None
    return [(g[0], g[2]) for g in got if g is not None]


_FIXED = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})(?:[~^][0-9]*)*")


def _fixed(ref: str) -> bool:
    """True when ``ref`` always names the same commit: a full object name, maybe followed by
    ``^``/``^N``/``~N`` steps (a commit's parents are part of it; a ref whose name is 40 hex
    digits never takes precedence over the object, git only warns; replace refs are off)."""
    return _FIXED.fullmatch(ref) is not None


def _tip(git: Git, cat: CatFile, branch: str) -> str | None:
    """The commit ``branch`` names (:func:`resolve_commits`, else ``git rev-parse``), or None."""
    known = resolve_commits(cat, [branch])
    return known[0][0] if known else git.rev(branch)


def commit_facts(raw: bytes) -> tuple[str, str, str] | None:
    """``(subject, body, author name)`` of a raw commit object, as ``LocalGitSource._commit_facts``
    reads them with ``git show -s --format=%an%x00%B`` (``%an``: the author line up to its ``<``;
    ``%B``: everything after the header's blank line; each stripped, the subject the message's
    first line). None wherever ``git show`` could answer otherwise: an ``encoding`` header (a
    re-encoded message), a NUL byte (git stops there), no blank line, not exactly one author
    line, or one without ``<...>``. Source: git's pretty.c (``format_person_part``, ``%B``) and
    ident.c (``split_ident_line``)."""
    header, blank, message = raw.partition(b"\n\n")
    if b"\0" in raw or not blank:
        return None
    authors = []
    for line in header.split(b"\n"):
        if line.startswith(b"encoding "):
            return None
        if line.startswith(b"author "):
            authors.append(line[len(b"author "):])
    if len(authors) != 1:
        return None
    ident = authors[0]
    lt = ident.find(b"<")
    if lt < 0 or ident.find(b">", lt) < 0:
        return None
    subject, _, body = message.decode("utf-8", "replace").strip().partition("\n")
    return subject.strip(), body.strip(), ident[:lt].decode("utf-8", "replace").strip()


def _first_text(files: dict[str, bytes | None], names: tuple[str, ...]) -> str | None:
    """The text of the first of ``names`` present in ``files`` (:meth:`GitTree.read_many`), or None."""
    for name in names:
        data = files.get(name)
        if data is not None:
            return data.decode("utf-8", "replace")
    return None


MAX_NUMSTAT_BYTES = 16 * 1024 * 1024
"""Cap on ``git diff --numstat`` output read to size a truncated diff (about 200k files)."""


def _numstat(git: Git, base_sha: str, head_sha: str) -> dict[str, int] | None:
    """``{"files", "additions", "deletions"}`` of the whole change from ``git diff --numstat -z``
    (binary files count as a file with no lines), or None when git fails or the output is cut."""
    out = git.run(
        "diff", "--numstat", "-z", "-M", "--no-ext-diff", "--no-textconv", "--end-of-options", base_sha, head_sha,
        check=False, max_bytes=MAX_NUMSTAT_BYTES, objects_only=True,
    )
    if len(out) > MAX_NUMSTAT_BYTES:
        return None
    files = additions = deletions = 0
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        head = fields[i].split(b"\t")
        i += 1
        if len(head) != 3:
            continue
        files += 1
        added, removed, path = head
        additions += int(added) if added.isdigit() else 0
        deletions += int(removed) if removed.isdigit() else 0
        if not path:  # a rename or copy: "a\tb\t\0old\0new\0"
            i += 2
    return {"files": files, "additions": additions, "deletions": deletions}


def _mark_truncated(diff: Diff, reason: str) -> Diff:
    return diff.model_copy(update={"truncated": True, "truncation_reasons": [*diff.truncation_reasons, reason]})
