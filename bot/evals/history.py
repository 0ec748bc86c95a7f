"""A repository's merged pull requests, read from its first-parent history (git objects only).

Two shapes of merged PR are recognised on the first-parent line of ``ref`` (default ``HEAD``):

- **squash** (and single-commit rebase) merges: a one-parent commit whose subject ends in ``(#N)``,
  as GitHub writes it ("Title (#N)"); the PR diff is ``parent..commit``;
- **merge commits**: a two-parent commit whose subject is ``Merge pull request #N from owner/branch``
  (GitHub's text); the PR title is the first line of the body and the PR diff is
  ``first-parent..merge``; the author is the second parent's author (who wrote the branch).

Other first-parent commits (direct pushes, ``Merge branch 'stable'``) are not PRs and are skipped.
Nothing is checked out or executed: only ``git log``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.gitlocal import Git

SQUASH_RE = re.compile(r"\(#(\d+)\)\s*$")
"""GitHub's squash-merge subject suffix, ``Title (#123)``."""
MERGE_RE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
"""GitHub's merge-commit subject, ``Merge pull request #123 from owner/branch``."""

_SEP = "\x1e"


@dataclass(frozen=True)
class Commit:
    """One commit as ``git log`` reports it; ``timestamp`` is the committer time (Unix seconds, UTC)."""

    sha: str
    parents: tuple[str, ...]
    timestamp: int
    author: str
    email: str
    message: str

    @property
    def subject(self) -> str:
        """The first line of the message, stripped."""
        return self.message.strip().split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        """The message after the first line, stripped."""
        parts = self.message.strip().split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True)
class MergedPR:
    """A merged pull request found in the history.

    ``sha`` is the commit on the first-parent line (the squash or merge commit), ``base`` its first
    parent: the PR's change is ``base..sha``. ``kind`` is ``"squash"`` or ``"merge"``. ``title`` is
    the PR title (squash: the subject without `` (#N)``; merge: the body's first line, else the
    branch name); ``body`` the rest of the message. ``timestamp``: when it was merged (committer
    time, Unix seconds). ``branch``: ``owner/branch`` for merge commits, else ``""``.
    """

    number: int
    sha: str
    base: str
    kind: str
    title: str
    body: str
    author: str
    email: str
    timestamp: int
    branch: str = ""

    @property
    def date(self) -> datetime:
        """Merge time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp, UTC)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able dict of the fields."""
        return asdict(self)


def read_commits(repo: str | Path, *args: str) -> list[Commit]:
    """Commits listed by ``git log <args>`` in ``repo``, newest first (git's order).

    Raises SourceError (from :class:`Git`) when git fails, e.g. an unknown ref.
    """
    out = Git(repo).run(
        "log", "--no-color", "--no-show-signature", f"--format={_SEP}%H%x00%P%x00%ct%x00%an%x00%ae%x00%B", *args
    )
    return list(_parse_log(out.decode("utf-8", "replace")))


def _parse_log(text: str) -> Iterable[Commit]:
    for record in text.split(_SEP):
        if not record.strip():
            continue
        fields = record.split("\x00", 5)
        if len(fields) < 6:
            continue
        sha, parents, ts, author, email, message = fields
        yield Commit(
            sha=sha.strip(),
            parents=tuple(parents.split()),
            timestamp=int(ts or 0),
            author=author,
            email=email,
            message=message.rstrip("\n"),
        )


def pr_from_commit(commit: Commit, branch_author: tuple[str, str] | None = None) -> MergedPR | None:
    """The merged PR a first-parent commit stands for, or None when it is not one.

    ``branch_author`` is ``(name, email)`` of a merge commit's second parent (the PR's author);
    without it the merge commit's own author is used.
    """
    subject = commit.subject
    if len(commit.parents) >= 2:
        m = MERGE_RE.match(subject)
        if not m:
            return None
        body = commit.body
        title, _, rest = body.partition("\n")
        author, email = branch_author or (commit.author, commit.email)
        return MergedPR(
            number=int(m.group(1)),
            sha=commit.sha,
            base=commit.parents[0],
            kind="merge",
            title=title.strip() or m.group(2),
            body=rest.strip(),
            author=author,
            email=email,
            timestamp=commit.timestamp,
            branch=m.group(2),
        )
    if len(commit.parents) == 1:
        m = SQUASH_RE.search(subject)
        if not m:
            return None
        return MergedPR(
            number=int(m.group(1)),
            sha=commit.sha,
            base=commit.parents[0],
            kind="squash",
            title=subject[: m.start()].rstrip(),
            body=commit.body,
            author=commit.author,
            email=commit.email,
            timestamp=commit.timestamp,
        )
    return None


def find_merged_prs(
    repo: str | Path,
    *,
    ref: str = "HEAD",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MergedPR]:
    """Merged PRs on the first-parent history of ``ref``, newest first.

    ``since``/``until`` (aware or naive-UTC datetimes) bound the merge time, both inclusive.
    Raises SourceError when ``repo`` is not a git repository or ``ref`` is unknown.
    """
    commits = read_commits(repo, "--first-parent", ref, "--")
    second_parents = [c.parents[1] for c in commits if len(c.parents) >= 2 and MERGE_RE.match(c.subject)]
    authors = _authors(repo, second_parents)
    lo = _ts(since)
    hi = _ts(until)
    prs: list[MergedPR] = []
    for c in commits:
        if lo is not None and c.timestamp < lo:
            continue
        if hi is not None and c.timestamp > hi:
            continue
        pr = pr_from_commit(c, authors.get(c.parents[1]) if len(c.parents) >= 2 else None)
        if pr is not None:
            prs.append(pr)
    return prs


def _authors(repo: str | Path, shas: list[str]) -> dict[str, tuple[str, str]]:
    """``sha -> (author name, email)`` for the given commits, in one ``git log --no-walk`` call."""
    if not shas:
        return {}
    out: dict[str, tuple[str, str]] = {}
    # Batches keep the command line short; git log --no-walk takes the revisions as arguments.
    for i in range(0, len(shas), 500):
        batch = shas[i : i + 500]
        text = Git(repo).run("log", "--no-walk=unsorted", "--format=%H%x00%an%x00%ae", *batch, "--")
        for line in text.decode("utf-8", "replace").splitlines():
            parts = line.split("\x00")
            if len(parts) == 3:
                out[parts[0]] = (parts[1], parts[2])
    return out


def _ts(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def head_info(repo: str | Path, ref: str = "HEAD") -> tuple[str, int]:
    """``(full SHA, committer timestamp)`` of ``ref``. Raises SourceError for an unknown ref."""
    out = Git(repo).run("log", "-1", "--format=%H %ct", ref, "--").decode().split()
    return out[0], int(out[1])
