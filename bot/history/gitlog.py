"""History of files and functions below one base commit, read from a local clone with git object
reads only (``git log``, ``git blame``, ``git cat-file``): nothing is checked out, and nothing
after the base commit can be seen, because every command starts its walk at the base SHA.

Windows are counted back from the base commit's committer time, not from the wall clock, so a
replay of an old pull request sees exactly what a review at the time would have seen.

Results are cached by base SHA (:class:`bot.history.cache.HistoryCache`): a second review of a PR
with the same base reads no git history at all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.gitlocal import Git
from bot.history.cache import HistoryCache
from bot.history.features import DAY, HORIZON_DAYS
from bot.history.fixes import is_fix_commit


_REC = "\x1e"
_END = "\x1f"
_BLAME_HEADER = re.compile(r"^([0-9a-f]{40}) \d+ (\d+)(?: \d+)?$")


@dataclass(frozen=True)
class CommitFact:
    """One commit that touched a file: SHA, committer time (Unix s), author name and e-mail
    (lower case), and whether its message makes it a fix (:func:`bot.history.fixes.is_fix_commit`)."""

    sha: str
    ts: int
    name: str
    email: str
    fix: bool

    def as_list(self) -> list[object]:
        """Compact JSON form ``[sha, ts, name, email, fix]`` (cache rows)."""
        return [self.sha, self.ts, self.name, self.email, self.fix]

    @classmethod
    def from_list(cls, row: list[object]) -> CommitFact:
        """Inverse of :meth:`as_list`."""
        return cls(str(row[0]), int(row[1]), str(row[2]), str(row[3]), bool(row[4]))  # type: ignore[call-overload]


@dataclass(frozen=True)
class FileHistory:
    """A file's history below the base: ``commits`` within :data:`HORIZON_DAYS` (newest first),
    ``added_ts`` when it was added inside that horizon (None: earlier, or not found), ``exists``
    (present at the base), ``loc`` (lines at the base, 0 when absent)."""

    path: str
    commits: tuple[CommitFact, ...]
    added_ts: int | None
    exists: bool
    loc: int


class LocalHistory:
    """History facts from a local clone at ``repo`` (bare or not), cached in ``cache``.

    Raises :class:`bot.core.errors.SourceError` (from :class:`Git`) when git fails, e.g. an
    unknown base SHA.
    """

    def __init__(self, repo: str | Path, cache: HistoryCache | None = None) -> None:
        self.repo = str(repo)
        self.git = Git(repo)
        self.cache = cache or HistoryCache(None)
        self._shallow_checked = False

    def base_time(self, base: str) -> int:
        """Committer time (Unix seconds) of commit ``base``."""
        hit = self.cache.get("time", base, "")
        if hit is not None:
            return int(hit)
        self._refuse_shallow()
        ts = int(self.git.run("log", "-1", "--format=%ct", base, "--").decode().strip())
        self.cache.put("time", base, "", ts)
        return ts

    def _refuse_shallow(self) -> None:
        """Raise :class:`bot.history.sources.HistoryUnavailable` when the clone is shallow: its cut
        history would make every count too low (checked once, on the first uncached read)."""
        if self._shallow_checked:
            return
        out = self.git.run("rev-parse", "--is-shallow-repository", check=False).strip()
        if out == b"true":
            from bot.history.sources import HistoryUnavailable  # noqa: PLC0415

            raise HistoryUnavailable(f"history unavailable: {self.repo} is a shallow clone (fetch its full history: "
                                     "git fetch --unshallow; actions/checkout: fetch-depth: 0)")
        self._shallow_checked = True

    def files(self, base: str, paths: list[str]) -> dict[str, FileHistory]:
        """:class:`FileHistory` of each path at ``base`` (one ``git log`` for all uncached paths)."""
        out: dict[str, FileHistory] = {}
        missing: list[str] = []
        for p in paths:
            hit = self.cache.get("file", base, p)
            if hit is None:
                missing.append(p)
            else:
                out[p] = FileHistory(p, tuple(CommitFact.from_list(r) for r in hit["c"]), hit["a"], hit["e"], hit["l"])
        if missing:
            base_ts = self.base_time(base)
            logs = self._log(base, base_ts, missing)
            present = self._present(base, missing)
            for p in missing:
                commits, added = logs.get(p, ([], None))
                blob = present.get(p)
                loc = self._loc(blob) if blob else 0
                fh = FileHistory(p, tuple(commits), added, blob is not None, loc)
                out[p] = fh
                self.cache.put("file", base, p, {"c": [c.as_list() for c in commits], "a": added,
                                                 "e": fh.exists, "l": loc})
        return out

    def _log(self, base: str, base_ts: int, paths: list[str]) -> dict[str, tuple[list[CommitFact], int | None]]:
        since = datetime.fromtimestamp(base_ts - HORIZON_DAYS * DAY, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raw = self.git.run(
            "log", "--no-color", "--no-merges", "--no-renames", "--name-status", f"--since={since}",
            f"--format={_REC}%H%x00%ct%x00%an%x00%ae%x00%B{_END}", base, "--", *paths,
        ).decode("utf-8", "replace")
        wanted = set(paths)
        out: dict[str, tuple[list[CommitFact], int | None]] = {}
        for rec in raw.split(_REC):
            if not rec.strip() or _END not in rec:
                continue
            head, _, names = rec.partition(_END)
            fields = head.split("\x00", 4)
            if len(fields) < 5:
                continue
            sha, ts, name, email, message = fields
            fact = CommitFact(sha, int(ts or 0), name.strip().casefold(), email.strip().casefold(),
                              is_fix_commit(message, name, email))
            for line in names.splitlines():
                status, _, path = line.partition("\t")
                if path not in wanted:
                    continue
                commits, added = out.setdefault(path, ([], None))
                commits.append(fact)
                if status.startswith("A"):
                    out[path] = (commits, fact.ts if added is None else max(added, fact.ts))
        return out

    def _present(self, base: str, paths: list[str]) -> dict[str, str]:
        """path -> blob SHA at ``base`` for the paths that exist there."""
        raw = self.git.run("ls-tree", "-z", "--full-tree", base, "--", *paths).decode("utf-8", "surrogateescape")
        out: dict[str, str] = {}
        for entry in raw.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                out[path] = parts[2]
        return out

    def _loc(self, blob: str) -> int:
        data = self.git.run("cat-file", "blob", blob, max_bytes=16 * 1024 * 1024)
        return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)

    def read_base(self, base: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``base`` (None when absent). At most 16 MiB."""
        blob = self._present(base, [path]).get(path)
        return None if blob is None else self.git.run("cat-file", "blob", blob, max_bytes=16 * 1024 * 1024)

    def blame(self, base: str, path: str, ranges: list[tuple[int, int]]) -> dict[int, str]:
        """Line number -> SHA of the commit that last changed it, for the given line ranges of
        ``path`` at ``base``, within :data:`HORIZON_DAYS` (older lines are left out). Cached by
        base, path and ranges. ``git blame --porcelain -w``: whitespace-only changes are ignored."""
        if not ranges:
            return {}
        key = path + "\0" + hashlib.sha256(repr(sorted(ranges)).encode()).hexdigest()[:16]
        hit = self.cache.get("blame", base, key)
        if hit is not None:
            return {int(k): v for k, v in hit.items()}
        base_ts = self.base_time(base)
        since = datetime.fromtimestamp(base_ts - HORIZON_DAYS * DAY, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        args = ["blame", "--porcelain", "-w", f"--since={since}"]
        for a, b in sorted(ranges):
            args += ["-L", f"{a},{b}"]
        raw = self.git.run(*args, base, "--", path).decode("utf-8", "replace")
        lines: dict[int, str] = {}
        boundary: set[str] = set()
        current = ""
        for line in raw.split("\n"):
            if line.startswith("\t"):
                continue
            m = _BLAME_HEADER.match(line)
            if m:
                current = m.group(1)
                lines[int(m.group(2))] = current
            elif line == "boundary":
                boundary.add(current)
        out = {n: sha for n, sha in lines.items() if sha not in boundary}
        self.cache.put("blame", base, key, {str(k): v for k, v in out.items()})
        return out

    def close(self) -> None:
        """Close the cache."""
        self.cache.close()


def author_matches(fact: CommitFact, author: str) -> bool:
    """True when the commit is by ``author``: a git author name or e-mail, or a GitHub login
    (matched against the e-mail's local part, also GitHub's ``123+login@users.noreply.github.com``)."""
    a = author.strip().casefold()
    if not a:
        return False
    if a in (fact.name, fact.email):
        return True
    local = fact.email.partition("@")[0]
    return a == local or a == local.partition("+")[2]
