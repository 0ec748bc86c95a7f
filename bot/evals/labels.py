"""Ground-truth labels for merged PRs: "reverted later" and "SZZ bug-inducing".

**Revert labels.** A commit reachable from HEAD reverts a merged PR when its message says so in one
of the ways git and GitHub write it:

- git's ``This reverts commit <sha>.`` (the reverted commit is mapped to the PR that merged it);
- GitHub's revert PR title ``Revert "<reverted title>"`` (the inner title ends in ``(#N)`` or is
  ``Merge pull request #N ...``, or equals the title of exactly one earlier PR);
- GitHub's revert PR body ``Reverts owner/repo#N``.

Reapplies are excluded: a commit whose subject starts with ``Reapply`` or ``Revert "Revert`` is a
revert of a revert, not a defect signal, so it never labels anything (the originally reverted PR
keeps its label: it was backed out once). A PR's own commits reverting each other do not count.

**SZZ labels** (Sliwerski, Zimmermann, Zeller, "When do changes induce fixes?", MSR 2005). A fix
PR is a merged PR whose title names a fix (``fix``, ``bug``, ``regression``, ``crash``, ``error``,
``issue``) or whose body closes an issue (``Fixes #12``). Bots (dependabot, pre-commit-ci,
renovate, ``[bot]`` accounts), reverts and fixes of typos, typing, docs or lint are not fix PRs.
For each fix, the lines it deletes or modifies in *runtime code files* (not tests, not docs) are
blamed in the fix's parent with ``git blame --porcelain -w`` (whitespace ignored); blank lines,
comment-only lines, typing imports and lines merely moved or re-indented within the hunk are
skipped. A blamed commit maps to the PR that merged it; that PR is bug-inducing when it was merged
at most ``window_days`` (365) before the fix.

PRs younger than ``young_days`` (90) at HEAD stay out of label statistics: their reverts and fixes
may not have happened yet (see :meth:`Labels.eligible`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.gitlocal import Git
from bot.core.diff import ChangeKind, parse_diff
from bot.core.errors import SourceError
from bot.evals.baselines import is_comment_or_blank, is_runtime_source
from bot.evals.history import MERGE_RE, SQUASH_RE, Commit, MergedPR, read_commits
from bot.history.fixes import fix_kind_of, is_bot_identity

DAY = 86_400
WINDOW_DAYS = 365
"""SZZ: a fix blames a PR merged at most this many days earlier."""
YOUNG_DAYS = 90
"""PRs merged fewer than this many days before HEAD are left out of label statistics."""

REVERTS_SHA_RE = re.compile(r"^[\s*>-]*This reverts commit ([0-9a-fA-F]{7,40})", re.MULTILINE)
REVERT_SUBJECT_RE = re.compile(r'^Revert "(.+)"(?:\s*\(#\d+\))?\s*$')
REVERTS_BODY_RE = re.compile(r"^\s*Reverts [\w.-]+/[\w.-]+#(\d+)\s*$", re.MULTILINE)
REAPPLY_RE = re.compile(r'^(Reapply\b|Revert "Revert\b|Revert \'Revert\b)', re.IGNORECASE)

_NON_FUNCTIONAL_LINE_RE = re.compile(r"^\s*(from typing import\b|import typing\b|from __future__ import\b|#\s*type:)")


def is_bot(pr: MergedPR) -> bool:
    """True for PRs by bots: dependabot, pre-commit-ci, renovate, ``[bot]`` accounts, github-actions."""
    return is_bot_identity(pr.author, pr.email, pr.branch, pr.title)


def is_reapply(subject: str) -> bool:
    """True for a reapply: ``Reapply "..."`` or ``Revert "Revert ..."``."""
    return bool(REAPPLY_RE.match(subject.strip()))


def is_revert(subject: str) -> bool:
    """True for a revert subject (``Revert ...``) that is not a reapply."""
    s = subject.strip()
    return s.lower().startswith("revert") and not is_reapply(s)


def fix_kind(pr: MergedPR) -> str | None:
    """Why ``pr`` counts as a fix PR (``"title"`` or ``"body"``), or None when it does not.

    Not fixes: bots, reverts and reapplies, and titles naming non-functional work (typos, typing,
    docs, lint, comments, whitespace).
    """
    return fix_kind_of(pr.title, pr.body, bot=is_bot(pr))


@dataclass
class FixInfo:
    """One fix PR and what blaming it found.

    ``blamed`` maps the SHA of each earlier PR (within the window) to the number of lines blamed on
    it; ``lines`` counts the functional removed lines that were blamed; ``skipped`` says why a fix
    blamed nothing (``"no code lines"``, ``"too many files"``), else ``""``.
    """

    sha: str
    number: int
    timestamp: int
    title: str
    kind: str
    files: list[str] = field(default_factory=list)
    lines: int = 0
    blamed: dict[str, int] = field(default_factory=dict)
    skipped: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON-able dict (state files, reports)."""
        return {
            "sha": self.sha, "number": self.number, "timestamp": self.timestamp, "title": self.title,
            "kind": self.kind, "files": self.files, "lines": self.lines, "blamed": self.blamed,
            "skipped": self.skipped,
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FixInfo:
        """Inverse of :meth:`as_dict`."""
        return cls(**d)  # type: ignore[arg-type]


@dataclass
class Labels:
    """Labels for the PRs of one repository at ``head_sha``.

    ``reverted``: PR SHA -> SHAs of the commits that reverted it. ``szz``: PR SHA -> SHAs of the
    fix PRs whose blame landed on it. ``fixes``: every fix PR examined (for reports and the
    re-injected suite).
    """

    head_sha: str
    head_timestamp: int
    reverted: dict[str, list[str]] = field(default_factory=dict)
    szz: dict[str, list[str]] = field(default_factory=dict)
    fixes: list[FixInfo] = field(default_factory=list)
    young_days: int = YOUNG_DAYS
    window_days: int = WINDOW_DAYS

    def eligible(self, pr: MergedPR) -> bool:
        """True when ``pr`` was merged at least ``young_days`` before HEAD (label statistics only)."""
        return self.head_timestamp - pr.timestamp >= self.young_days * DAY

    def is_reverted(self, sha: str) -> bool:
        """True when the PR merged as ``sha`` was reverted later."""
        return bool(self.reverted.get(sha))

    def is_szz(self, sha: str) -> bool:
        """True when a later fix PR blamed lines on the PR merged as ``sha``."""
        return bool(self.szz.get(sha))


class _PRIndex:
    """Lookups from commits to merged PRs, with the first-parent walk for branch commits cached."""

    def __init__(self, repo: str | Path, prs: Sequence[MergedPR], head: str) -> None:
        self.git = Git(repo)
        self.head = head
        self.by_sha = {p.sha: p for p in prs}
        self.by_number: dict[int, list[MergedPR]] = {}
        self.by_title: dict[str, list[MergedPR]] = {}
        for p in prs:
            self.by_number.setdefault(p.number, []).append(p)
            self.by_title.setdefault(p.title.strip(), []).append(p)
        self._memo: dict[str, MergedPR | None] = {}
        self.first_parent = set(self.git.run("rev-list", "--first-parent", head, "--").decode().split())

    def resolve(self, sha_prefix: str) -> str | None:
        """Full SHA of a commit prefix, or None when it is not in the repository."""
        return self.git.rev(sha_prefix.lower())

    def pr_of_commit(self, sha: str) -> MergedPR | None:
        """The PR that merged commit ``sha``: itself when it is a PR's commit on the first-parent
        line; None for other first-parent commits (direct pushes); else the oldest first-parent
        commit descending from it (the merge that brought it in), when that is a PR."""
        if sha in self.by_sha:
            return self.by_sha[sha]
        if sha in self.first_parent:  # a direct push, not a PR
            return None
        if sha not in self._memo:
            out = self.git.run("rev-list", "--first-parent", "--ancestry-path", f"{sha}..{self.head}", check=False)
            lines = out.decode().split()
            self._memo[sha] = self.by_sha.get(lines[-1]) if lines else None
        return self._memo[sha]

    def by_number_before(self, number: int, timestamp: int) -> MergedPR | None:
        """The latest PR numbered ``number`` merged at or before ``timestamp``."""
        cands = [p for p in self.by_number.get(number, []) if p.timestamp <= timestamp]
        return max(cands, key=lambda p: p.timestamp) if cands else None


def revert_targets(commit: Commit, index: _PRIndex) -> set[str]:
    """SHAs of the merged PRs that ``commit`` reverts (empty for reapplies and non-reverts)."""
    subject = commit.subject
    own = index.pr_of_commit(commit.sha)
    own_title = (own.title if own else subject).strip()
    if is_reapply(subject) or is_reapply(own_title):
        return set()
    targets: set[str] = set()
    for m in REVERTS_SHA_RE.finditer(commit.message):
        full = index.resolve(m.group(1))
        pr = index.pr_of_commit(full) if full else None
        if pr is not None:
            targets.add(pr.sha)
    numbers = [int(n) for n in REVERTS_BODY_RE.findall(commit.message)]
    m_title = REVERT_SUBJECT_RE.match(own_title) or REVERT_SUBJECT_RE.match(subject)
    if m_title:
        inner = m_title.group(1).strip()
        merge = MERGE_RE.match(inner)
        squash = SQUASH_RE.search(inner)
        if merge:
            numbers.append(int(merge.group(1)))
        elif squash:
            numbers.append(int(squash.group(1)))
        else:
            same = [p for p in index.by_title.get(inner, []) if p.timestamp <= commit.timestamp]
            if len(same) == 1:
                targets.add(same[0].sha)
    for n in numbers:
        pr = index.by_number_before(n, commit.timestamp)
        if pr is not None:
            targets.add(pr.sha)
    if own is not None:
        targets.discard(own.sha)
    return targets


def revert_labels(repo: str | Path, prs: Sequence[MergedPR], head: str = "HEAD") -> dict[str, list[str]]:
    """PR SHA -> SHAs of the commits (anywhere in HEAD's history) that revert it. See the module doc."""
    index = _PRIndex(repo, prs, head)
    out: dict[str, list[str]] = {}
    for commit in read_commits(repo, "-i", "--grep=revert", head, "--"):
        for target in revert_targets(commit, index):
            out.setdefault(target, []).append(commit.sha)
    return out


def functional_removed_lines(diff_text: str, max_files: int = 20) -> tuple[dict[str, list[int]], str]:
    """From a fix's diff, the old-side line numbers SZZ blames, per old path; and a skip reason.

    Only modified or renamed runtime source files count (see
    :func:`bot.evals.baselines.is_runtime_source`); blank, comment-only and typing-import lines and
    lines whose whitespace-stripped text reappears among the hunk's added lines (moved or
    re-indented) are left out. More than ``max_files`` such files: nothing (a refactor, not a fix).
    """
    diff = parse_diff(diff_text)
    out: dict[str, list[int]] = {}
    for fc in diff.files:
        if fc.kind not in (ChangeKind.modified, ChangeKind.renamed) or fc.is_binary:
            continue
        old_path = fc.old_path or fc.path
        if not is_runtime_source(old_path):
            continue
        lines: list[int] = []
        for hunk in fc.hunks:
            added = {"".join(ln.text.split()) for ln in hunk.added()}
            for ln in hunk.removed():
                if ln.old_lineno is None or is_comment_or_blank(old_path, ln.text):
                    continue
                if _NON_FUNCTIONAL_LINE_RE.match(ln.text) or "".join(ln.text.split()) in added:
                    continue
                lines.append(ln.old_lineno)
        if lines:
            out[old_path] = lines
    if len(out) > max_files:
        return {}, "too many files"
    return out, "" if out else "no code lines"


def _ranges(lines: Iterable[int]) -> list[tuple[int, int]]:
    ordered = sorted(set(lines))
    ranges: list[tuple[int, int]] = []
    for n in ordered:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def blame_lines(repo: str | Path, rev: str, path: str, lines: Iterable[int], since: int | None = None) -> dict[str, int]:
    """Commit SHA -> number of the given lines of ``path`` at ``rev`` it last touched.

    Runs ``git blame --porcelain -w`` over the line ranges; with ``since`` (Unix seconds) the walk
    stops there and lines older than that (attributed to a ``boundary`` commit) are dropped.
    Raises SourceError when git fails (e.g. the path is not in ``rev``).
    """
    args = ["blame", "--porcelain", "-w"]
    if since is not None:
        args.append("--since=" + datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for a, b in _ranges(lines):
        args += ["-L", f"{a},{b}"]
    out = Git(repo).run(*args, rev, "--", path).decode("utf-8", "replace")
    counts: dict[str, int] = {}
    boundary: set[str] = set()
    current = ""
    header = re.compile(r"^([0-9a-f]{40}) \d+ \d+(?: \d+)?$")
    for line in out.split("\n"):
        if line.startswith("\t"):
            continue
        m = header.match(line)
        if m:
            current = m.group(1)
            counts[current] = counts.get(current, 0) + 1
        elif line == "boundary":
            boundary.add(current)
    return {sha: n for sha, n in counts.items() if sha not in boundary}


def blame_fix(
    repo: str | Path, fix: MergedPR, kind: str, index: _PRIndex, window_days: int = WINDOW_DAYS
) -> FixInfo:
    """Blame one fix PR's functional removed lines in its parent; see the module doc."""
    info = FixInfo(sha=fix.sha, number=fix.number, timestamp=fix.timestamp, title=fix.title, kind=kind)
    raw = Git(repo).run(
        "diff", "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
        "--src-prefix=a/", "--dst-prefix=b/", fix.base, fix.sha, "--",
    ).decode("utf-8", "surrogateescape")
    per_file, info.skipped = functional_removed_lines(raw)
    info.files = sorted(per_file)
    since = fix.timestamp - (window_days + YOUNG_DAYS) * DAY  # slack for branch commits older than their merge
    for path, lines in per_file.items():
        try:
            counts = blame_lines(repo, fix.base, path, lines, since=since)
        except SourceError:
            continue
        for sha, n in counts.items():
            pr = index.pr_of_commit(sha)
            if pr is None or pr.sha == fix.sha or pr.timestamp > fix.timestamp:
                continue
            if fix.timestamp - pr.timestamp > window_days * DAY:
                continue
            info.blamed[pr.sha] = info.blamed.get(pr.sha, 0) + n
            info.lines += n
    return info


def compute_labels(
    repo: str | Path,
    prs: Sequence[MergedPR],
    *,
    head_sha: str,
    head_timestamp: int,
    candidates: Sequence[MergedPR] | None = None,
    fix_cache: dict[str, FixInfo] | None = None,
    window_days: int = WINDOW_DAYS,
    young_days: int = YOUNG_DAYS,
    on_fix: Callable[[FixInfo], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Labels:
    """Revert and SZZ labels for ``prs`` (all merged PRs on HEAD's first-parent line).

    Only fix PRs merged within ``window_days`` after some candidate (default: all ``prs``) are
    blamed. ``fix_cache`` (fix SHA -> FixInfo) is read and filled, so a resumed run does not blame
    again; ``on_fix(info)`` is called for each newly blamed fix and ``on_progress(done, total)``
    after each fix PR.
    Raises SourceError when git fails on the repository as a whole.
    """
    labels = Labels(head_sha=head_sha, head_timestamp=head_timestamp, window_days=window_days, young_days=young_days)
    labels.reverted = revert_labels(repo, prs, head_sha)
    cands = list(candidates) if candidates is not None else list(prs)
    if not cands:
        return labels
    lo = min(p.timestamp for p in cands)
    hi = max(p.timestamp for p in cands) + window_days * DAY
    index = _PRIndex(repo, prs, head_sha)
    cache = fix_cache if fix_cache is not None else {}
    todo = [(pr, kind) for pr in sorted(prs, key=lambda p: p.timestamp)
            if lo <= pr.timestamp <= hi and (kind := fix_kind(pr)) is not None]
    for i, (pr, kind) in enumerate(todo):
        info = cache.get(pr.sha)
        if info is None:
            info = blame_fix(repo, pr, kind, index, window_days)
            cache[pr.sha] = info
            if on_fix is not None:
                on_fix(info)
        if on_progress is not None:
            on_progress(i + 1, len(todo))
        labels.fixes.append(info)
        for blamed in info.blamed:
            labels.szz.setdefault(blamed, []).append(pr.sha)
    return labels
