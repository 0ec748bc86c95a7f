"""One shared fake of the GitHub REST API, served over real HTTP on loopback.

Used by the GitHub adapter tests, the app's end-to-end tests and the webhook benchmark; PyGithub
talks to it through ``base_url``. Stateful: an App with one RSA key, installations, repositories
made of real-looking commits (git blob SHAs are real), pull requests with the file patches GitHub
would list, check runs, reviews, comments, requested reviewers and collaborator permissions.
It also hands out GitHub Actions ``GITHUB_TOKEN``-style tokens (``actions_token``: acting as
``github-actions[bot]``, read-only for fork PRs, refused APPROVE unless the repository allows
Actions to approve) and accepts code-scanning SARIF uploads (``sarif_uploads``).

It checks what GitHub checks where mistakes would matter: the App JWT (RS256, ``iss`` = app id,
expiry), installation tokens (unknown or expired: 401 ``Bad credentials``; another installation's
repository: 404), at most 50 check-run annotations per request, review comments only on lines of
the diff, and dismissals only of approving or change-requesting reviews. Every request is recorded
(``requests``). Faults can be injected per method and path (``fail``), as can callbacks that run
before a request is served (``before``, e.g. to push a commit while a review is running).

Never used by production code.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_KEY_LOCK = threading.Lock()
_KEY_CACHE: dict[str, Any] = {}


def _private_key() -> tuple[str, Any]:
    """A process-wide RSA key (generating one costs ~50 ms): ``(pem_text, public_key)``."""
    with _KEY_LOCK:
        if "pem" not in _KEY_CACHE:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _KEY_CACHE["pem"] = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode("ascii")
            _KEY_CACHE["public"] = key.public_key()
        return _KEY_CACHE["pem"], _KEY_CACHE["public"]


def blob_sha(data: bytes) -> str:
    """The git blob SHA-1 of ``data`` (what GitHub reports as a file's ``sha``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git object ids


def _now_iso(offset_s: float = 0.0) -> str:
    return datetime.fromtimestamp(time.time() + offset_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeCommit:
    """A commit: full file map (path -> bytes), parents, and the GitHub logins behind it."""

    sha: str
    files: dict[str, bytes]
    parents: list[str]
    author: str
    committer: str
    message: str
    tree_sha: str = ""


@dataclass
class FakePull:
    """A pull request. ``base_sha`` is the base branch tip when it was opened (as on GitHub)."""

    number: int
    title: str
    body: str
    user: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool = False
    state: str = "open"
    merged_by: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)


@dataclass
class FakeRepo:
    """A repository and everything posted to it."""

    full_name: str
    installation_id: int
    default_branch: str = "main"
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, FakePull] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    required_checks: dict[str, list[str]] = field(default_factory=dict)
    """Branch protection: branch name -> required status-check contexts."""
    ruleset_checks: dict[str, list[str]] = field(default_factory=dict)
    """Rulesets: branch name -> required status-check contexts of a ``required_status_checks`` rule."""
    tree_truncated: bool = False
    """When True, recursive tree listings come back ``truncated`` (clients must walk subtrees)."""
    omit_patches: set[str] = field(default_factory=set)
    """Paths whose ``patch`` the files API leaves out (as GitHub does for very large diffs)."""
    actions_can_approve: bool = False
    """The repository setting "Allow GitHub Actions to create and approve pull requests" (off by
    default on GitHub): when off, an APPROVE review by ``github-actions[bot]`` gets a 422."""
    sarif_uploads: list[dict[str, Any]] = field(default_factory=list)
    """Analyses uploaded to code scanning: ``{id, commit_sha, ref, sarif}`` (``sarif`` decoded)."""


@dataclass
class Recorded:
    """One request the fake served: ``body`` is the parsed JSON body (or None)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    message: str


@dataclass
class _Hook:
    method: str
    pattern: re.Pattern[str]
    fn: Callable[[FakeGitHub, Recorded], None]
    times: int


class _HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class FakeGitHub:
    """The fake server. Use as a context manager, or ``start()`` / ``stop()``.

    ``base_url`` (``http://127.0.0.1:<port>``) goes to PyGithub as ``base_url``; ``app_id`` and
    ``private_key_pem`` to the App settings. ``token_ttl_s`` sets installation tokens' lifetime
    (GitHub: one hour). The bot's login is ``<app_slug>[bot]``. With ``git_root`` every commit is also
    a real git commit in a bare repository there (:mod:`bot.testing.fake_git`; ``git_url`` is the
    ``file://`` git host to fetch ``<git_url>/<owner>/<name>.git`` from), and branches and
    ``refs/pull/<n>/head`` follow each change made through these methods (or :meth:`sync_git`).
    """

    def __init__(self, *, app_id: int = 1001, app_slug: str = "quorum", token_ttl_s: float = 3600.0,
                 git_root: Path | None = None) -> None:
        from bot.testing.fake_git import GitStore  # noqa: PLC0415

        self.git = GitStore(git_root) if git_root is not None else None
        self.app_id = app_id
        self.app_slug = app_slug
        self.bot_login = f"{app_slug}[bot]"
        self.token_ttl_s = token_ttl_s
        self.private_key_pem, self._public_key = _private_key()
        self.installations: dict[int, str] = {}
        self.repos: dict[str, FakeRepo] = {}
        self.tokens: dict[str, tuple[int, float]] = {}
        self.actions_tokens: dict[str, tuple[str, bool]] = {}
        """``GITHUB_TOKEN``-style tokens: token -> (repository, read_only)."""
        self._actor = (self.bot_login, app_slug)
        self.requests: list[Recorded] = []
        self._faults: list[_Fault] = []
        self._hooks: list[_Hook] = []
        self._ids = itertools.count(1000)
        self._subtrees: dict[str, tuple[str, str]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeGitHub:
        """Serve on a free loopback port in a daemon thread; sets ``base_url``."""
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- state setup

    def add_installation(self, installation_id: int, account: str) -> None:
        """Register an installation of the App on ``account``."""
        with self._lock:
            self.installations[installation_id] = account

    def add_repo(
        self, full_name: str, installation_id: int, files: dict[str, str | bytes], *, default_branch: str = "main"
    ) -> FakeRepo:
        """Create a repository with one commit on ``default_branch`` holding ``files``."""
        with self._lock:
            if installation_id not in self.installations:
                self.add_installation(installation_id, full_name.split("/")[0])
            repo = FakeRepo(full_name=full_name, installation_id=installation_id, default_branch=default_branch)
            self.repos[full_name] = repo
            sha = self._new_commit(repo, {}, files, parents=[], author="owner", message="initial")
            repo.branches[default_branch] = sha
            self.sync_git(full_name)
            return repo

    @property
    def git_url(self) -> str:
        """The ``file://`` git host of the repositories (only with ``git_root``)."""
        if self.git is None:
            raise RuntimeError("FakeGitHub(git_root=...) keeps no git repositories")
        return self.git.url

    def sync_git(self, full_name: str) -> None:
        """Point the git refs of ``full_name`` at the fake's branches and open PR heads (no-op
        without ``git_root``)."""
        if self.git is None:
            return
        with self._lock:
            repo = self.repos[full_name]
            refs = {f"refs/heads/{b}": sha for b, sha in repo.branches.items()}
            refs.update({f"refs/pull/{n}/head": p.head_sha for n, p in repo.pulls.items()})
            self.git.set_refs(full_name, refs, head=repo.default_branch)

    def commit(
        self, full_name: str, branch: str, changes: dict[str, str | bytes | None], *,
        author: str = "owner", committer: str | None = None, message: str = "change",
    ) -> str:
        """Add a commit on ``branch`` (created from the default branch if new); None deletes a file."""
        with self._lock:
            repo = self.repos[full_name]
            parent = repo.branches.get(branch) or repo.branches[repo.default_branch]
            sha = self._new_commit(repo, repo.commits[parent].files, changes, parents=[parent],
                                   author=author, committer=committer or author, message=message)
            repo.branches[branch] = sha
            for pull in repo.pulls.values():
                if pull.head_ref == branch and pull.state == "open":
                    pull.head_sha = sha
            self.sync_git(full_name)
            return sha

    def open_pull(
        self, full_name: str, changes: dict[str, str | bytes | None], *, title: str = "A change", body: str = "",
        author: str = "alice", branch: str | None = None, draft: bool = False, committer: str | None = None,
    ) -> FakePull:
        """Open a PR from a new branch with one commit of ``changes`` on top of the default branch."""
        with self._lock:
            repo = self.repos[full_name]
            number = len(repo.pulls) + 1
            branch = branch or f"feature-{number}"
            base_sha = repo.branches[repo.default_branch]
            repo.branches[branch] = base_sha
            head = self.commit(full_name, branch, changes, author=author, committer=committer, message=title)
            pull = FakePull(number=number, title=title, body=body, user=author, head_ref=branch, head_sha=head,
                            base_ref=repo.default_branch, base_sha=base_sha, draft=draft)
            repo.pulls[number] = pull
            self.sync_git(full_name)
            return pull

    def push(self, full_name: str, number: int, changes: dict[str, str | bytes | None], *,
             author: str | None = None, committer: str | None = None) -> str:
        """Push one more commit to a PR's branch; returns the new head SHA."""
        with self._lock:
            pull = self.repos[full_name].pulls[number]
            return self.commit(full_name, pull.head_ref, changes, author=author or pull.user, committer=committer)

    def set_permission(self, full_name: str, login: str, permission: str) -> None:
        """Set a user's permission on a repository: ``admin``, ``maintain``, ``write``, ``triage``, ``read``."""
        with self._lock:
            self.repos[full_name].permissions[login] = permission

    def add_check(self, full_name: str, sha: str, name: str, conclusion: str | None, status: str = "completed") -> None:
        """Add someone else's check run (CI) on a commit."""
        with self._lock:
            self.repos[full_name].check_runs.append(
                {"id": next(self._ids), "name": name, "head_sha": sha, "status": status, "conclusion": conclusion,
                 "app": {"slug": "ci"}, "output": {"annotations": []}}
            )

    def add_review(self, full_name: str, number: int, login: str, state: str, *, commit_id: str | None = None,
                   body: str = "") -> dict[str, Any]:
        """A review by a human (``state``: ``APPROVED``, ``CHANGES_REQUESTED``, ``COMMENTED``) on ``commit_id``
        (default: the PR's current head)."""
        with self._lock:
            repo = self.repos[full_name]
            pull = repo.pulls[number]
            rid = next(self._ids)
            review = {"id": rid, "user": self._user(login), "body": body, "state": state,
                      "commit_id": commit_id or pull.head_sha, "comments": [],
                      "pull_request_url": self._url(f"/repos/{full_name}/pulls/{number}"),
                      "html_url": f"https://github.example/{full_name}/pull/{number}#pullrequestreview-{rid}",
                      "submitted_at": _now_iso()}
            repo.reviews.setdefault(number, []).append(review)
            return review

    def set_required_checks(self, full_name: str, branch: str, contexts: list[str], *, ruleset: bool = False) -> None:
        """Require status-check ``contexts`` on ``branch`` (branch protection, or a ruleset with ``ruleset``)."""
        with self._lock:
            target = self.repos[full_name].ruleset_checks if ruleset else self.repos[full_name].required_checks
            target[branch] = list(contexts)

    def add_status(self, full_name: str, sha: str, context: str, state: str) -> None:
        """A commit status (``success``, ``failure``, ``error``, ``pending``) on ``sha``."""
        with self._lock:
            self.repos[full_name].statuses.setdefault(sha, []).append(
                {"id": next(self._ids), "context": context, "state": state})

    def merge_pull(self, full_name: str, number: int, *, merged_by: str = "owner", squash: bool = True) -> str:
        """Merge a PR as ``merged_by``: a squash (or merge) commit on the base branch; returns its SHA."""
        with self._lock:
            repo = self.repos[full_name]
            pull = repo.pulls[number]
            base_tip = repo.branches[pull.base_ref]
            files = repo.commits[pull.head_sha].files
            parents = [base_tip] if squash else [base_tip, pull.head_sha]
            sha = self._new_commit(repo, {}, dict(files), parents=parents, author=pull.user, committer=merged_by,
                                   message=f"{pull.title} (#{number})")
            repo.branches[pull.base_ref] = sha
            pull.state = "closed"
            pull.merged_by = merged_by
            pull.merged_at = _now_iso()
            pull.merge_commit_sha = sha
            self.sync_git(full_name)
            return sha

    def actions_token(self, full_name: str, *, read_only: bool = False) -> str:
        """A GitHub Actions ``GITHUB_TOKEN`` for one repository, acting as ``github-actions[bot]``.

        ``read_only`` models a fork's pull request (GitHub gives those a read-only token): every
        write answers 403 "Resource not accessible by integration", as GitHub does.
        """
        with self._lock:
            token = f"ghs_actions{next(self._ids)}"
            self.actions_tokens[token] = (full_name, read_only)
            return token

    def add_comment(self, full_name: str, number: int, login: str, body: str) -> dict[str, Any]:
        """A conversation comment on PR ``number`` by ``login`` (someone else than the bot)."""
        with self._lock:
            return self._comment(self.repos[full_name], number, login, body)

    def expire_tokens(self) -> None:
        """Make every installation token issued so far invalid (as if it had expired or been revoked)."""
        with self._lock:
            self.tokens = {t: (inst, 0.0) for t, (inst, _) in self.tokens.items()}

    # ----------------------------------------------------------------- faults and hooks

    def fail(self, method: str, path_regex: str, status: int, *, times: int = 1,
             headers: dict[str, str] | None = None, message: str | None = None) -> None:
        """Answer the next ``times`` requests matching ``METHOD`` and ``path_regex`` (search) with ``status``.

        Defaults per status: 403 a primary rate limit (``x-ratelimit-remaining: 0`` and a reset one
        second ahead), 429 ``retry-after: 1``, 5xx a server error.
        """
        defaults: dict[int, tuple[dict[str, str], str]] = {
            403: ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)},
                  "API rate limit exceeded for installation."),
            429: ({"retry-after": "1"}, "Too many requests"),
        }
        dh, dm = defaults.get(status, ({}, "Server Error" if status >= 500 else "Error"))
        with self._lock:
            self._faults.append(_Fault(method.upper(), re.compile(path_regex), status, times,
                                       headers if headers is not None else dh, message or dm))

    def before(self, method: str, path_regex: str, fn: Callable[[FakeGitHub, Recorded], None], *, times: int = 1) -> None:
        """Call ``fn(fake, request)`` before serving the next ``times`` matching requests."""
        with self._lock:
            self._hooks.append(_Hook(method.upper(), re.compile(path_regex), fn, times))

    # ----------------------------------------------------------------- inspection

    def calls(self, method: str | None = None, path_regex: str | None = None) -> list[Recorded]:
        """Recorded requests, optionally filtered by method and a path regex (search)."""
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method.upper())
                    and (path_regex is None or re.search(path_regex, r.path))]

    def reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Reviews posted on a PR (dicts as GitHub returns them)."""
        with self._lock:
            return list(self.repos[full_name].reviews.get(number, []))

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Issue (conversation) comments posted on a PR."""
        with self._lock:
            return list(self.repos[full_name].issue_comments.get(number, []))

    def check_runs(self, full_name: str, name: str | None = "quorum") -> list[dict[str, Any]]:
        """Check runs on a repository (by default only Quorum's)."""
        with self._lock:
            return [c for c in self.repos[full_name].check_runs if name is None or c["name"] == name]

    # ----------------------------------------------------------------- internals

    def _new_commit(self, repo: FakeRepo, base: dict[str, bytes], changes: dict[str, str | bytes | None], *,
                    parents: list[str], author: str, message: str, committer: str | None = None) -> str:
        files = dict(base)
        for path, content in changes.items():
            if content is None:
                files.pop(path, None)
            else:
                files[path] = content.encode("utf-8") if isinstance(content, str) else content
        seed = json.dumps([parents, sorted((p, blob_sha(d)) for p, d in files.items()), message, next(self._ids)])
        if self.git is not None:
            sha, tree = self.git.commit(repo.full_name, files, parents, author=author, committer=committer or author,
                                        message=message)
        else:
            sha = hashlib.sha1(seed.encode()).hexdigest()  # noqa: S324 - fake object ids
            tree = hashlib.sha1(("tree" + seed).encode()).hexdigest()  # noqa: S324
        repo.commits[sha] = FakeCommit(sha=sha, files=files, parents=parents, author=author,
                                       committer=committer or author, message=message, tree_sha=tree)
        return sha

    def _ancestors(self, repo: FakeRepo, sha: str) -> list[str]:
        seen: list[str] = []
        todo = [sha]
        while todo:
            cur = todo.pop(0)
            if cur in seen or cur not in repo.commits:
                continue
            seen.append(cur)
            todo.extend(repo.commits[cur].parents)
        return seen

    def merge_base(self, full_name: str, a: str, b: str) -> str | None:
        """The first common ancestor of two commits (breadth-first from ``b``)."""
        repo = self.repos[full_name]
        ours = set(self._ancestors(repo, a))
        return next((c for c in self._ancestors(repo, b) if c in ours), None)

    def _file_entries(self, repo: FakeRepo, base_sha: str, head_sha: str) -> list[dict[str, Any]]:
        old, new = repo.commits[base_sha].files, repo.commits[head_sha].files
        out = []
        for path in sorted(set(old) | set(new)):
            a, b = old.get(path), new.get(path)
            if a == b:
                continue
            status = "added" if a is None else "removed" if b is None else "modified"
            entry: dict[str, Any] = {
                "sha": blob_sha(b if b is not None else a or b""), "filename": path, "status": status,
                "blob_url": f"{self.base_url}/blob/{path}", "raw_url": f"{self.base_url}/raw/{path}",
                "contents_url": f"{self.base_url}/repos/{repo.full_name}/contents/{path}",
            }
            binary = b"\0" in (a or b"") or b"\0" in (b or b"")
            if binary:
                entry.update(additions=0, deletions=0, changes=0)
            else:
                old_lines = (a or b"").decode("utf-8", "replace").splitlines(keepends=True)
                new_lines = (b or b"").decode("utf-8", "replace").splitlines(keepends=True)
                hunks = list(difflib.unified_diff(old_lines, new_lines, n=3))[2:]
                patch = "".join(line if line.endswith("\n") else line + "\n" for line in hunks).rstrip("\n")
                adds = sum(1 for ln in hunks if ln.startswith("+"))
                dels = sum(1 for ln in hunks if ln.startswith("-"))
                entry.update(additions=adds, deletions=dels, changes=adds + dels)
                if path not in repo.omit_patches:
                    entry["patch"] = patch
            out.append(entry)
        return out

    def diff_lines(self, full_name: str, number: int, commit_id: str) -> dict[str, set[int]]:
        """Per path, the head line numbers a review comment may target (added and context lines)."""
        repo = self.repos[full_name]
        pull = repo.pulls[number]
        base = self.merge_base(full_name, pull.base_sha, commit_id) or pull.base_sha
        out: dict[str, set[int]] = {}
        for entry in self._file_entries(repo, base, commit_id):
            lines: set[int] = set()
            new_no = 0
            for ln in entry.get("patch", "").splitlines():
                m = re.match(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", ln)
                if m:
                    new_no = int(m.group(1))
                    continue
                if ln.startswith(("+", " ")):
                    lines.add(new_no)
                    new_no += 1
            out[entry["filename"]] = lines
        return out

    # ----------------------------------------------------------------- request handling

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = parse_qs(split.query)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        rec = Recorded(method, path, query, headers, parsed)
        with self._lock:
            self.requests.append(rec)
            hooks = [h for h in self._hooks if h.method == method and h.pattern.search(path) and h.times > 0]
            for h in hooks:
                h.times -= 1
        for h in hooks:
            h.fn(self, rec)
        with self._lock:
            try:
                fault = next((f for f in self._faults
                              if f.times > 0 and f.method == method and f.pattern.search(path)), None)
                if fault is not None:
                    fault.times -= 1
                    raise _HTTPError(fault.status, fault.message, dict(fault.headers))
                status, payload, extra = self._route(method, path, query, headers, parsed)
            except _HTTPError as err:
                status, payload, extra = err.status, {"message": err.message,
                                                      "documentation_url": "https://docs.github.com/rest"}, err.headers
            rec.status = status
            return status, payload, extra

    def _auth_app(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise _HTTPError(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(auth[7:], self._public_key, algorithms=["RS256"], options={"require": ["exp", "iat", "iss"]})
        except jwt.PyJWTError as exc:
            raise _HTTPError(401, f"'Expiration time' claim ('exp') is invalid or JWT could not be decoded: {exc}") from exc
        if str(claims["iss"]) != str(self.app_id):
            raise _HTTPError(401, "Integration not found")
        if claims["exp"] - claims["iat"] > 600:
            raise _HTTPError(401, "'Expiration time' claim ('exp') is too far in the future")

    def _auth_repo(self, headers: dict[str, str], repo: FakeRepo, method: str = "GET") -> None:
        auth = headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        if token in self.actions_tokens:
            full_name, read_only = self.actions_tokens[token]
            if full_name != repo.full_name:
                raise _HTTPError(404, "Not Found")
            if read_only and method != "GET":
                raise _HTTPError(403, "Resource not accessible by integration")
            self._actor = ("github-actions[bot]", "github-actions")
            return
        self._actor = (self.bot_login, self.app_slug)
        inst, expires = self.tokens.get(token, (None, 0.0))
        if inst is None or expires <= time.time():
            raise _HTTPError(401, "Bad credentials")
        if inst != repo.installation_id:
            raise _HTTPError(404, "Not Found")

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**8, "type": "Bot" if login.endswith("[bot]") else "User",
                "url": self._url(f"/users/{login}")}

    def _pull_json(self, repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
        base = f"/repos/{repo.full_name}/pulls/{pull.number}"
        rj = {"full_name": repo.full_name, "name": repo.full_name.split("/")[1], "url": self._url(f"/repos/{repo.full_name}")}
        return {
            "url": self._url(base), "id": pull.number * 1000, "number": pull.number, "state": pull.state,
            "draft": pull.draft, "title": pull.title, "body": pull.body, "user": self._user(pull.user),
            "html_url": f"https://github.example/{repo.full_name}/pull/{pull.number}",
            "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": rj, "label": pull.head_ref},
            "base": {"ref": pull.base_ref, "sha": pull.base_sha, "repo": rj, "label": pull.base_ref},
            "merged": pull.merged_at is not None, "merged_at": pull.merged_at,
            "merge_commit_sha": pull.merge_commit_sha,
            "merged_by": self._user(pull.merged_by) if pull.merged_by else None,
            "changed_files": len(self._file_entries(
                repo, self.merge_base(repo.full_name, pull.base_sha, pull.head_sha) or pull.base_sha, pull.head_sha)),
            "requested_reviewers": [self._user(u) for u in pull.requested_reviewers],
            "requested_teams": [{"slug": t} for t in pull.requested_teams],
            "labels": [],
        }

    def _commits_json(self, repo: FakeRepo, base: str, head: str) -> list[dict[str, Any]]:
        behind = set(self._ancestors(repo, base))
        items = []
        for sha in reversed([c for c in self._ancestors(repo, head) if c not in behind]):
            c = repo.commits[sha]
            items.append({"sha": sha, "url": self._url(f"/repos/{repo.full_name}/commits/{sha}"),
                          "commit": {"message": c.message, "author": {"name": c.author}, "committer": {"name": c.committer}},
                          "author": self._user(c.author), "committer": self._user(c.committer),
                          "parents": [{"sha": p} for p in c.parents]})
        return items

    def _page(self, path: str, query: dict[str, list[str]], items: list[Any]) -> tuple[Any, dict[str, str]]:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["link"] = f'<{self._url(path)}?per_page={per_page}&page={page + 1}>; rel="next"'
        return chunk, headers

    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/app" and method == "GET":
            self._auth_app(headers)
            return 200, {"id": self.app_id, "slug": self.app_slug, "name": "Quorum", "owner": self._user("acme")}, {}
        m = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if m and method == "POST":
            self._auth_app(headers)
            inst = int(m.group(1))
            if inst not in self.installations:
                raise _HTTPError(404, "Not Found")
            token = f"ghs_fake{next(self._ids)}"
            self.tokens[token] = (inst, time.time() + self.token_ttl_s)
            return 201, {"token": token, "expires_at": _now_iso(self.token_ttl_s),
                         "permissions": {"checks": "write", "pull_requests": "write"}}, {}
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not m or m.group(1) not in self.repos:
            raise _HTTPError(404, "Not Found")
        repo = self.repos[m.group(1)]
        self._auth_repo(headers, repo, method)
        return self._route_repo(method, repo, m.group(2) or "", path, query, body)

    def _route_repo(self, method: str, repo: FakeRepo, sub: str, path: str, query: dict[str, list[str]],
                    body: Any) -> tuple[int, Any, dict[str, str]]:  # noqa: C901 - a router
        full = repo.full_name
        if sub == "" and method == "GET":
            return 200, {"full_name": full, "name": full.split("/")[1], "default_branch": repo.default_branch,
                         "url": self._url(f"/repos/{full}"), "owner": self._user(full.split("/")[0])}, {}
        m = re.fullmatch(r"/pulls/(\d+)(/.*)?", sub)
        if m:
            number = int(m.group(1))
            pull = repo.pulls.get(number)
            if pull is None:
                raise _HTTPError(404, "Not Found")
            return self._route_pull(method, repo, pull, m.group(2) or "", path, query, body)
        m = re.fullmatch(r"/compare/([0-9a-f]+)\.\.\.([0-9a-f]+)", sub)
        if m and method == "GET":
            base, head = m.group(1), m.group(2)
            if base not in repo.commits or head not in repo.commits:
                raise _HTTPError(404, "Not Found")
            mb = self.merge_base(full, base, head)
            return 200, {"url": self._url(path), "status": "ahead",
                         "commits": self._commits_json(repo, mb or base, head),
                         "merge_base_commit": {"sha": mb, "url": self._url(f"/repos/{full}/commits/{mb}")},
                         "base_commit": {"sha": base, "url": self._url(f"/repos/{full}/commits/{base}")},
                         "ahead_by": 1, "behind_by": 0, "total_commits": 1,
                         "files": self._file_entries(repo, mb or base, head)}, {}
        m = re.fullmatch(r"/git/ref/heads/(.+)", sub)
        if m and method == "GET":
            branch = unquote(m.group(1))
            if branch not in repo.branches:
                raise _HTTPError(404, "Not Found")
            return 200, {"ref": f"refs/heads/{branch}", "url": self._url(path),
                         "object": {"type": "commit", "sha": repo.branches[branch],
                                    "url": self._url(f"/repos/{full}/git/commits/{repo.branches[branch]}")}}, {}
        m = re.fullmatch(r"/git/trees/([0-9a-f]+)", sub)
        if m and method == "GET":
            return 200, self._tree(repo, m.group(1), bool(query.get("recursive")), path), {}
        m = re.fullmatch(r"/git/blobs/([0-9a-f]{40})", sub)
        if m and method == "GET":
            for commit in repo.commits.values():
                for data in commit.files.values():
                    if blob_sha(data) == m.group(1):
                        return 200, {"sha": m.group(1), "size": len(data), "encoding": "base64",
                                     "content": base64.b64encode(data).decode(), "url": self._url(path)}, {}
            raise _HTTPError(404, "Not Found")
        m = re.fullmatch(r"/commits/([0-9a-f]+)/check-runs", sub)
        if m and method == "GET":
            runs = [self._check_json(repo, c) for c in repo.check_runs if c["head_sha"] == m.group(1)]
            return 200, {"total_count": len(runs), "check_runs": runs}, {}
        m = re.fullmatch(r"/commits/([0-9a-f]+)/status", sub)
        if m and method == "GET":
            sts = repo.statuses.get(m.group(1), [])
            state = "success" if sts and all(s["state"] == "success" for s in sts) else ("pending" if not sts else "failure")
            return 200, {"state": state, "statuses": sts, "total_count": len(sts), "sha": m.group(1),
                         "url": self._url(path), "repository": {"full_name": full}}, {}
        if sub == "/check-runs" and method == "POST":
            return 201, self._check_create(repo, body), {}
        m = re.fullmatch(r"/check-runs/(\d+)", sub)
        if m and method == "PATCH":
            run = next((c for c in repo.check_runs if c["id"] == int(m.group(1))), None)
            if run is None:
                raise _HTTPError(404, "Not Found")
            self._check_output(run, body or {})
            return 200, self._check_json(repo, run), {}
        m = re.fullmatch(r"/branches/([^/]+)", sub)
        if m and method == "GET":
            name = m.group(1)
            if name not in repo.branches:
                raise _HTTPError(404, "Branch not found")
            contexts = repo.required_checks.get(name)
            protection = ({"enabled": True, "required_status_checks": {
                "enforcement_level": "everyone", "contexts": list(contexts),
                "checks": [{"context": c, "app_id": None} for c in contexts]}} if contexts is not None
                else {"enabled": False, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}})
            return 200, {"name": name, "commit": {"sha": repo.branches[name]}, "protected": contexts is not None,
                         "protection": protection}, {}
        m = re.fullmatch(r"/rules/branches/([^/]+)", sub)
        if m and method == "GET":
            contexts = repo.ruleset_checks.get(m.group(1))
            rules = [] if contexts is None else [{
                "type": "required_status_checks", "ruleset_source_type": "Repository", "ruleset_id": 1,
                "parameters": {"strict_required_status_checks_policy": False,
                               "required_status_checks": [{"context": c} for c in contexts]}}]
            page, extra = self._page(path, query, rules)
            return 200, page, extra
        m = re.fullmatch(r"/collaborators/([^/]+)/permission", sub)
        if m and method == "GET":
            perm = repo.permissions.get(m.group(1), "read")
            legacy = {"maintain": "write", "triage": "read"}.get(perm, perm)
            return 200, {"permission": legacy, "role_name": perm, "user": self._user(m.group(1))}, {}
        m = re.fullmatch(r"/issues/(\d+)/comments", sub)
        if m and method == "POST":
            number = int(m.group(1))
            if number not in repo.pulls:
                raise _HTTPError(404, "Not Found")
            return 201, self._comment(repo, number, self._actor[0], (body or {}).get("body", "")), {}
        if m and method == "GET":
            items, extra = self._page(path, query, repo.issue_comments.get(int(m.group(1)), []))
            return 200, items, extra
        if sub == "/code-scanning/sarifs" and method == "POST":
            return 202, self._sarif_upload(repo, body or {}), {}
        raise _HTTPError(404, "Not Found")

    def _route_pull(self, method: str, repo: FakeRepo, pull: FakePull, sub: str, path: str,
                    query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        full = repo.full_name
        if sub == "" and method == "GET":
            return 200, self._pull_json(repo, pull), {}
        if sub == "/files" and method == "GET":
            base = self.merge_base(full, pull.base_sha, pull.head_sha) or pull.base_sha
            items, extra = self._page(path, query, self._file_entries(repo, base, pull.head_sha))
            return 200, items, extra
        if sub == "/commits" and method == "GET":
            base = self.merge_base(full, pull.base_sha, pull.head_sha) or pull.base_sha
            page, extra = self._page(path, query, self._commits_json(repo, base, pull.head_sha))
            return 200, page, extra
        if sub == "/reviews" and method == "GET":
            page, extra = self._page(path, query, repo.reviews.get(pull.number, []))
            return 200, page, extra
        if sub == "/reviews" and method == "POST":
            return 200, self._review_create(repo, pull, body or {}), {}
        m = re.fullmatch(r"/reviews/(\d+)/dismissals", sub)
        if m and method == "PUT":
            review = next((r for r in repo.reviews.get(pull.number, []) if r["id"] == int(m.group(1))), None)
            if review is None:
                raise _HTTPError(404, "Not Found")
            if review["state"] not in ("APPROVED", "CHANGES_REQUESTED"):
                raise _HTTPError(422, "Can not dismiss a commented pull request review")
            review["state"] = "DISMISSED"
            review["dismissal_message"] = (body or {}).get("message")
            return 200, review, {}
        if sub == "/requested_reviewers" and method == "POST":
            users = list((body or {}).get("reviewers", []))
            teams = list((body or {}).get("team_reviewers", []))
            if pull.user in users:
                raise _HTTPError(422, "Review cannot be requested from pull request author.")
            pull.requested_reviewers.extend(u for u in users if u not in pull.requested_reviewers)
            pull.requested_teams.extend(t for t in teams if t not in pull.requested_teams)
            return 201, self._pull_json(repo, pull), {}
        raise _HTTPError(404, "Not Found")

    def _comment(self, repo: FakeRepo, number: int, login: str, text: str) -> dict[str, Any]:
        full = repo.full_name
        cid = next(self._ids)
        comment = {"id": cid, "body": text, "user": self._user(login),
                   "url": self._url(f"/repos/{full}/issues/comments/{cid}"),
                   "html_url": f"https://github.example/{full}/pull/{number}#issuecomment-{cid}",
                   "created_at": _now_iso(), "updated_at": _now_iso()}
        repo.issue_comments.setdefault(number, []).append(comment)
        return comment

    def _sarif_upload(self, repo: FakeRepo, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /repos/{o}/{r}/code-scanning/sarifs``: checks what GitHub checks up front (a
        40-hex ``commit_sha``, a ``refs/...`` ``ref``, ``sarif`` as base64 of gzip of SARIF 2.1.0
        JSON whose every result has a location) and answers 202 with the analysis id."""
        import gzip  # noqa: PLC0415

        sha, ref = str(body.get("commit_sha", "")), str(body.get("ref", ""))
        if not re.fullmatch(r"[0-9a-f]{40}", sha) or not ref.startswith("refs/"):
            raise _HTTPError(422, "Invalid request: commit_sha must be a full SHA and ref a fully qualified ref")
        try:
            log = json.loads(gzip.decompress(base64.b64decode(str(body.get("sarif", "")), validate=True)))
        except (ValueError, OSError, EOFError) as exc:
            raise _HTTPError(400, f"Invalid request: sarif is not gzipped, base64-encoded JSON ({exc})") from exc
        if log.get("version") != "2.1.0" or not isinstance(log.get("runs"), list):
            raise _HTTPError(400, "Invalid request: not a SARIF 2.1.0 log")
        for run in log["runs"]:
            for result in run.get("results", []):
                if not result.get("locations"):
                    raise _HTTPError(400, "Invalid request: locationFromSarifResult: expected at least one location")
        upload = {"id": f"sarif-{next(self._ids)}", "commit_sha": sha, "ref": ref, "sarif": log}
        repo.sarif_uploads.append(upload)
        return {"id": upload["id"], "url": self._url(f"/repos/{repo.full_name}/code-scanning/sarifs/{upload['id']}")}

    def _review_create(self, repo: FakeRepo, pull: FakePull, body: dict[str, Any]) -> dict[str, Any]:
        event = body.get("event")
        state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}.get(event or "")
        if state is None:
            raise _HTTPError(422, "Unprocessable Entity: event must be APPROVE, REQUEST_CHANGES or COMMENT")
        commit_id = body.get("commit_id") or pull.head_sha
        if commit_id not in repo.commits:
            raise _HTTPError(422, "Unprocessable Entity: commit_id is not part of the pull request")
        allowed = self.diff_lines(repo.full_name, pull.number, commit_id)
        for c in body.get("comments", []):
            if c.get("line") not in allowed.get(c.get("path"), set()):
                raise _HTTPError(422, "Unprocessable Entity: pull_request_review_thread.line must be part of the diff")
        actor = self._actor[0]
        if state == "APPROVED" and pull.user == actor:
            raise _HTTPError(422, "Unprocessable Entity: Can not approve your own pull request")
        if state == "APPROVED" and actor == "github-actions[bot]" and not repo.actions_can_approve:
            raise _HTTPError(422, "Unprocessable Entity: GitHub Actions is not permitted to approve pull requests.")
        rid = next(self._ids)
        review = {"id": rid, "user": self._user(actor), "body": body.get("body", ""), "state": state,
                  "commit_id": commit_id, "comments": list(body.get("comments", [])),
                  "pull_request_url": self._url(f"/repos/{repo.full_name}/pulls/{pull.number}"),
                  "html_url": f"https://github.example/{repo.full_name}/pull/{pull.number}#pullrequestreview-{rid}",
                  "submitted_at": _now_iso()}
        repo.reviews.setdefault(pull.number, []).append(review)
        return review

    def _tree(self, repo: FakeRepo, sha: str, recursive: bool, path: str) -> dict[str, Any]:
        prefix = ""
        commit = repo.commits.get(sha) or next((c for c in repo.commits.values() if c.tree_sha == sha), None)
        if commit is None and sha in self._subtrees:
            commit_sha, prefix = self._subtrees[sha]
            commit = repo.commits[commit_sha]
        if commit is None:
            raise _HTTPError(404, "Not Found")
        files = {p[len(prefix):]: d for p, d in commit.files.items() if p.startswith(prefix)}
        entries: list[dict[str, Any]] = []
        if recursive and not repo.tree_truncated:
            entries = [{"path": p, "mode": "100755" if p.endswith(".sh") else "100644", "type": "blob",
                        "sha": blob_sha(d), "size": len(d)} for p, d in sorted(files.items())]
        else:
            dirs: set[str] = set()
            for p, d in sorted(files.items()):
                if "/" in p:
                    dirs.add(p.split("/", 1)[0])
                elif not recursive:
                    entries.append({"path": p, "mode": "100755" if p.endswith(".sh") else "100644", "type": "blob",
                                    "sha": blob_sha(d), "size": len(d)})
            if not recursive:
                for dname in sorted(dirs):
                    sub_sha = hashlib.sha1(f"{commit.sha}:{prefix}{dname}/".encode()).hexdigest()  # noqa: S324
                    self._subtrees[sub_sha] = (commit.sha, f"{prefix}{dname}/")
                    entries.append({"path": dname, "mode": "040000", "type": "tree", "sha": sub_sha})
        return {"sha": commit.tree_sha if not prefix else sha, "url": self._url(path), "tree": entries,
                "truncated": bool(recursive and repo.tree_truncated)}

    def _check_output(self, run: dict[str, Any], body: dict[str, Any]) -> None:
        output = body.get("output")
        if output is not None:
            notes = output.get("annotations", [])
            if len(notes) > 50:
                raise _HTTPError(422, "Unprocessable Entity: at most 50 annotations per request")
            for a in notes:
                for key in ("path", "start_line", "end_line", "annotation_level", "message"):
                    if key not in a:
                        raise _HTTPError(422, f"Unprocessable Entity: annotation needs {key}")
            prev = run.get("output", {}).get("annotations", [])
            run["output"] = {"title": output.get("title"), "summary": output.get("summary"),
                             "text": output.get("text"), "annotations": prev + list(notes)}
        for key in ("status", "conclusion", "details_url", "external_id"):
            if key in body:
                run[key] = body[key]

    def _check_create(self, repo: FakeRepo, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("name") or not body.get("head_sha"):
            raise _HTTPError(422, "Unprocessable Entity: name and head_sha are required")
        run = {"id": next(self._ids), "name": body["name"], "head_sha": body["head_sha"],
               "status": body.get("status", "queued"), "conclusion": body.get("conclusion"),
               "app": {"slug": self._actor[1]}, "output": {"annotations": []}}
        self._check_output(run, body)
        repo.check_runs.append(run)
        return self._check_json(repo, run)

    def _check_json(self, repo: FakeRepo, run: dict[str, Any]) -> dict[str, Any]:
        out = dict(run)
        out["url"] = self._url(f"/repos/{repo.full_name}/check-runs/{run['id']}")
        out["html_url"] = f"https://github.example/{repo.full_name}/runs/{run['id']}"
        out["output"] = {k: v for k, v in run.get("output", {}).items() if k != "annotations"} | {
            "annotations_count": len(run.get("output", {}).get("annotations", []))}
        return out


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, extra = self.owner._handle(self.command, self.path, headers, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-ratelimit-limit", "5000")
        if "x-ratelimit-remaining" not in extra:
            self.send_header("x-ratelimit-remaining", "4999")
            self.send_header("x-ratelimit-reset", str(int(time.time()) + 3600))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
