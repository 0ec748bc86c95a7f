"""GitHubPullRequestSource: a Snapshot of a pull request read through the REST API.

The diff is rebuilt as ``git diff --full-index`` text from the file entries GitHub returns
(status, patch, blob SHA) plus modes and old blob SHAs from the git trees API, then parsed with
``bot.core.diff.parse_diff``. File contents at base and head are fetched lazily per blob SHA and
cached (``BlobCache``). The base revision is the merge base (what GitHub diffs against); the
policy (``.quorum.yml``) and CODEOWNERS are read from the tip of the target branch at review time
("Get a reference", ``GET /repos/{owner}/{repo}/git/ref/heads/{branch}``), never from the head: as
palantir/policy-bot, whose policy "is read from the most recent commit on the target branch".

Sources: GitHub docs, "Compare two commits" (``merge_base_commit``; files capped at 300),
"List pull requests files" (at most 3000 files; ``patch`` is omitted for binary files and very
large diffs), "Get a tree" (``truncated`` when over the API's limits), "Get a blob" (base64).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

import structlog

from bot.adapters.github.client import RepoClient
from bot.adapters.github.errors import GitHubError, GitHubNotFound, GitHubRequestError
from bot.core.diff import Diff, DiffError, parse_diff
from bot.core.errors import SourceError
from bot.core.models import PullRequestInfo
from bot.core.protocols import Snapshot

log = structlog.get_logger("quorum.github")

POLICY_FILES = (".quorum.yml", ".quorum.yaml")
RISK_MODEL_FILES = (".quorum/risk-model.json",)
CODEOWNERS_FILES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
COMPARE_FILE_CAP = 300
"""The compare API lists at most 300 files; at that count the PR files API is used instead."""
MAX_TREE_CALLS = 500
"""Bound on non-recursive tree calls when a recursive tree comes back truncated."""
QUORUM_CHECK_NAME = "quorum"
_FAILED = {"failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"}
_GREEN = {"success", "neutral", "skipped"}


class HeadMovedError(SourceError):
    """The PR's head changed while it was being read; the job should be retried."""

    retryable = True


class BlobCache:
    """Thread-safe LRU of blob bytes by SHA, bounded by total size (bytes). Shared across reviews."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, sha: str) -> bytes | None:
        with self._lock:
            data = self._items.get(sha)
            if data is None:
                self.misses += 1
                return None
            self._items.move_to_end(sha)
            self.hits += 1
            return data

    def put(self, sha: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if sha in self._items:
                return
            self._items[sha] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)


class GitHubTree:
    """TreeView of one commit over the git trees and blobs API (see ``bot.core.protocols.TreeView``).

    ``list_files`` is one recursive tree call (more when GitHub truncates it); ``read_blob`` goes
    through the shared BlobCache. A blob GitHub does not have reads as None; any other API failure
    raises GitHubError, so an agent that needed the content abstains rather than guessing.
    """

    def __init__(self, client: RepoClient, sha: str, cache: BlobCache) -> None:
        self._client = client
        self.sha = sha
        self._cache = cache
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, str]] | None = None
        self.truncated = False

    def entries(self) -> dict[str, tuple[str, str]]:
        """Every blob path -> ``(mode, blob_sha)`` (symlinks included; submodules excluded)."""
        with self._lock:
            if self._entries is None:
                self._entries = self._load()
            return self._entries

    def _load(self) -> dict[str, tuple[str, str]]:
        data = self._client.tree(self.sha, recursive=True)
        out: dict[str, tuple[str, str]] = {}
        if not data.get("truncated"):
            for e in data.get("tree", []):
                if e.get("type") == "blob":
                    out[e["path"]] = (str(e.get("mode", "100644")), e["sha"])
            return out
        log.warning("github.tree_truncated", repo=self._client.full_name, sha=self.sha,
                    action="walking subtrees one by one")
        todo: list[tuple[str, str]] = [("", self.sha)]
        calls = 0
        while todo:
            prefix, sha = todo.pop()
            calls += 1
            if calls > MAX_TREE_CALLS:
                self.truncated = True
                log.warning("github.tree_incomplete", repo=self._client.full_name, sha=self.sha, calls=calls)
                break
            for e in self._client.tree(sha, recursive=False).get("tree", []):
                path = f"{prefix}{e['path']}"
                if e.get("type") == "tree":
                    todo.append((path + "/", e["sha"]))
                elif e.get("type") == "blob":
                    out[path] = (str(e.get("mode", "100644")), e["sha"])
        return out

    def list_files(self) -> dict[str, str]:
        """Regular files (modes 100644/100755) -> blob SHA."""
        return {p: sha for p, (mode, sha) in self.entries().items() if mode in ("100644", "100755")}

    def read(self, path: str) -> bytes | None:
        """File bytes at this commit, or None when the path is not a file here."""
        entry = self.entries().get(path)
        return None if entry is None else self.read_blob(entry[1])

    def read_blob(self, blob_sha: str) -> bytes | None:
        """Blob bytes by SHA (cached), or None when GitHub does not have it."""
        data = self._cache.get(blob_sha)
        if data is not None:
            return data
        try:
            data = self._client.blob(blob_sha)
        except GitHubNotFound:
            return None
        self._cache.put(blob_sha, data)
        return data


def file_diff_text(entry: dict[str, Any], old_entry: tuple[str, str] | None, new_entry: tuple[str, str] | None) -> tuple[str, bool]:
    """The ``git diff`` text of one file entry of the files API: ``(text, patch_missing)``.

    ``patch_missing`` is True for a text change whose patch GitHub left out (too large).
    """
    status = entry.get("status", "modified")
    path = entry["filename"]
    old_path = entry.get("previous_filename") or path
    zero = "0" * 40
    old_mode, old_blob = old_entry or ("100644", zero)
    new_mode, new_blob = new_entry or ("100644", entry.get("sha") or zero)
    lines = [f"diff --git a/{old_path} b/{path}"]
    if status == "added":
        lines += [f"new file mode {new_mode}", f"index {zero}..{new_blob}"]
        a, b = "/dev/null", f"b/{path}"
    elif status == "removed":
        old_blob = old_entry[1] if old_entry else (entry.get("sha") or zero)
        lines += [f"deleted file mode {old_mode}", f"index {old_blob}..{zero}"]
        a, b = f"a/{old_path}", "/dev/null"
    else:
        if status in ("renamed", "copied"):
            verb = "rename" if status == "renamed" else "copy"
            lines += ["similarity index 90%", f"{verb} from {old_path}", f"{verb} to {path}"]
        if old_mode != new_mode:
            lines += [f"old mode {old_mode}", f"new mode {new_mode}", f"index {old_blob}..{new_blob}"]
        else:
            lines.append(f"index {old_blob}..{new_blob} {new_mode}")
        a, b = f"a/{old_path}", f"b/{path}"
    patch = entry.get("patch")
    changed = int(entry.get("additions") or 0) + int(entry.get("deletions") or 0)
    if patch:
        lines += [f"--- {a}", f"+++ {b}", patch.rstrip("\n")]
        return "\n".join(lines) + "\n", False
    if changed > 0:
        return "\n".join(lines) + "\n", True
    if old_blob != new_blob and status != "changed":
        # GitHub lists binary files with no patch and no counted lines.
        lines.append(f"Binary files {a} and {b} differ")
    return "\n".join(lines) + "\n", False


def checks_state(check_runs: list[dict[str, Any]], status: dict[str, Any] | None) -> bool | None:
    """Other checks on the head (Quorum's own excluded): False when any failed, True when all are
    done and green (and there is at least one), None while some are pending or there are none."""
    runs = [r for r in check_runs if r.get("name") != QUORUM_CHECK_NAME]
    statuses = list((status or {}).get("statuses") or [])
    if any(r.get("conclusion") in _FAILED for r in runs) or any(s.get("state") in ("failure", "error") for s in statuses):
        return False
    if not runs and not statuses:
        return None
    done = all(r.get("status") == "completed" and r.get("conclusion") in _GREEN for r in runs)
    return True if done and all(s.get("state") == "success" for s in statuses) else None


class GitHubPullRequestSource:
    """PullRequestSource for one pull request through one installation's RepoClient.

    ``human_review_requested`` comes from Quorum's own state (``/quorum human``). Raises
    SourceError (one line) when the PR cannot be read, HeadMovedError when its head moves while
    the file list is being paged.
    """

    def __init__(self, client: RepoClient, number: int, *, cache: BlobCache | None = None,
                 human_review_requested: bool = False) -> None:
        self.client = client
        self.number = number
        self.cache = cache or BlobCache()
        self.human_review_requested = human_review_requested
        self.state: str | None = None
        """The PR's ``state`` (``open``/``closed``) as read by the last snapshot."""

    def snapshot(self) -> Snapshot:
        """Read the PR (see module docstring). Raises SourceError."""
        try:
            return self._snapshot()
        except GitHubError as err:
            raise _source_error(err) from err

    def _snapshot(self) -> Snapshot:
        c = self.client
        pull = c.pull(self.number)
        self.state = pull.get("state")
        head_sha = pull["head"]["sha"]
        compare = c.get(f"/compare/{pull['base']['sha']}...{head_sha}")
        base_sha = (compare.get("merge_base_commit") or {}).get("sha") or pull["base"]["sha"]
        files = list(compare.get("files") or [])
        complete = True
        if len(files) >= COMPARE_FILE_CAP or int(pull.get("changed_files") or 0) > len(files):
            files, complete = c.pull_files(self.number)
            again = c.pull(self.number)
            if again["head"]["sha"] != head_sha:
                raise HeadMovedError(f"head of {c.full_name}#{self.number} moved from {head_sha[:12]} "
                                     f"to {again['head']['sha'][:12]} while reading it")
        base = GitHubTree(c, base_sha, self.cache)
        head = GitHubTree(c, head_sha, self.cache)
        policy_sha = self._branch_tip(pull["base"].get("ref", ""))
        policy_tree = base if policy_sha == base_sha else GitHubTree(c, policy_sha, self.cache)
        diff = self._diff(files, base, head, complete, int(pull.get("changed_files") or len(files)))
        if diff.truncated and pull.get("changed_files") is not None:  # the PR's own counts: whole size
            diff = diff.model_copy(update={"whole": {
                "files": int(pull.get("changed_files") or 0),
                "additions": int(pull.get("additions") or 0),
                "deletions": int(pull.get("deletions") or 0),
            }})
        commits = compare.get("commits") or []
        committers = sorted({u["login"] for cm in commits for u in (cm.get("author"), cm.get("committer")) if u and u.get("login")})
        user = pull.get("user") or {}
        pr = PullRequestInfo(
            repo=c.full_name,
            number=self.number,
            title=pull.get("title") or "",
            body=pull.get("body") or "",
            author=user.get("login", ""),
            author_is_bot=user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]"),
            base_ref=pull["base"].get("ref", ""),
            head_ref=pull["head"].get("ref", ""),
            base_sha=base_sha,
            head_sha=head_sha,
            policy_sha=policy_sha,
            is_draft=bool(pull.get("draft")),
            labels=[lb.get("name", "") for lb in pull.get("labels") or []],
            url=pull.get("html_url"),
            human_review_requested=self.human_review_requested,
            checks_passed=self._checks(head_sha),
            committers=committers,
        )
        return Snapshot(pr=pr, diff=diff, base=base, head=head, policy_text=_first_text(policy_tree, POLICY_FILES),
                        codeowners_text=_first_text(policy_tree, CODEOWNERS_FILES),
                        risk_model_text=_first_text(policy_tree, RISK_MODEL_FILES))

    def _branch_tip(self, branch: str) -> str:
        """The current commit SHA of the target branch. Raises SourceError when the branch is
        unnamed or cannot be read (deleted, renamed): no policy, no review."""
        if not branch:
            raise SourceError(f"{self.client.full_name}#{self.number}: the pull request names no base branch")
        ref = self.client.get(f"/git/ref/heads/{quote(branch, safe='/')}")
        obj = ref.get("object") or {} if isinstance(ref, dict) else {}
        sha = obj.get("sha")
        if not isinstance(sha, str) or len(sha) != 40:
            raise SourceError(f"{self.client.full_name}: base branch {branch!r} has no readable tip commit")
        return sha

    def _checks(self, sha: str) -> bool | None:
        runs = self.client.check_runs_for(sha)
        try:
            status = self.client.combined_status(sha)
        except (GitHubRequestError, GitHubNotFound) as err:  # no statuses permission: check runs only
            log.info("github.status_unreadable", repo=self.client.full_name, error=str(err))
            status = None
        return checks_state(runs, status)

    def _diff(self, files: list[dict[str, Any]], base: GitHubTree, head: GitHubTree, complete: bool, expected: int) -> Diff:
        base_entries, head_entries = base.entries(), head.entries()
        parts: list[str] = []
        reasons: list[str] = []
        for entry in files:
            old = base_entries.get(entry.get("previous_filename") or entry["filename"])
            new = head_entries.get(entry["filename"])
            text, missing = file_diff_text(entry, old, new)
            parts.append(text)
            if missing:
                reasons.append(f"GitHub omitted the patch of {entry['filename']} (too large)")
        if not complete or expected > len(files):
            reasons.append(f"GitHub listed {len(files)} of {expected} changed files")
        try:
            diff = parse_diff("".join(parts))
        except DiffError as exc:
            raise SourceError(f"could not parse the diff rebuilt from the API: {exc}") from exc
        if reasons:
            diff = diff.model_copy(update={"truncated": True, "truncation_reasons": [*diff.truncation_reasons, *reasons]})
        return diff


def _first_text(tree: GitHubTree, names: tuple[str, ...]) -> str | None:
    for name in names:
        data = tree.read(name)
        if data is not None:
            return data.decode("utf-8", "replace")
    return None


def _source_error(err: GitHubError) -> SourceError:
    out = SourceError(str(err))
    out.retryable = err.retryable  # type: ignore[attr-defined]
    out.github_error = err  # type: ignore[attr-defined]
    return out
