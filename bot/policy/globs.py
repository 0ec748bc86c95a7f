"""Path globs for the policy (gitignore-like, case-insensitive), compiled to regular expressions.

Semantics (the subset of gitignore that policies need):

- A pattern without ``/`` matches a file or directory *name* at any depth: ``Dockerfile*``,
  ``*.tf``, ``CODEOWNERS``.
- A pattern with a leading or inner ``/`` is anchored at the repository root: ``.github/**``,
  ``k8s/**``, ``/setup.py``; a trailing ``/`` is ignored. ``**/`` matches zero or more directories, ``/**`` everything below.
- ``*`` matches within one path segment, ``?`` one character other than ``/``, ``[abc]`` and
  ``[!abc]`` one character of (not of) a set.
- A pattern that matches a directory matches everything below it (``**/auth`` covers
  ``src/auth/jwt.py``), as in gitignore.
- Matching ignores case. Over-matching only costs an auto-approval; under-matching
  (``dockerfile`` vs ``Dockerfile``, ``makefile`` vs ``Makefile``) would let a sensitive change through.

Pure: no filesystem access.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class GlobError(ValueError):
    """A pattern cannot be compiled (empty, or an unterminated ``[`` set)."""


def _segment_regex(seg: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            start = i + 1
            if seg[start : start + 1] == "!":
                start += 1
            if seg[start : start + 1] == "]":
                start += 1  # a ']' right after '[' or '[!' is a literal member of the set
            j = seg.find("]", start)
            if j < 0:
                raise GlobError(f"unterminated '[' in {seg!r}")
            body = seg[i + 1 : j]
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[{'^/' if negate else ''}{body}]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def glob_to_regex(pattern: str) -> str:
    """Translate one glob to an anchored regular expression (no flags) over POSIX paths.

    Raises :class:`GlobError` for an empty pattern or an unterminated ``[``.
    """
    pat = pattern.strip().rstrip("/")
    anchored = "/" in pat  # a leading or middle slash anchors, a trailing one does not
    pat = pat.lstrip("/")
    if not pat:
        raise GlobError(f"empty glob {pattern!r}")
    segments = pat.split("/")
    parts: list[str] = []
    for idx, seg in enumerate(segments):
        last = idx == len(segments) - 1
        if seg == "**":
            # '**' as a whole segment: any number of directories (zero included).
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        parts.append(_segment_regex(seg) + ("" if last else "/"))
    body = "".join(parts)
    if not anchored:
        body = "(?:[^/]+/)*" + body
    return "^" + body + "$"


class GlobSet:
    """A named collection of globs: ``match(path)`` returns the first matching ``(label, glob)``.

    ``entries`` is an iterable of ``(label, glob)``; the label says why the glob is there (the
    policy's category name, e.g. ``"dependencies"``). Raises :class:`GlobError` on a bad glob.
    """

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._entries = [(label, glob, re.compile(glob_to_regex(glob), re.IGNORECASE)) for label, glob in entries]

    def match(self, path: str) -> tuple[str, str] | None:
        """``(label, glob)`` of the first glob matching ``path`` or one of its parent
        directories, else None. ``path`` is POSIX and relative to the repository root."""
        candidates = _self_and_parents(path)
        for label, glob, rx in self._entries:
            if any(rx.match(c) for c in candidates):
                return label, glob
        return None


def _self_and_parents(path: str) -> list[str]:
    p = path.strip("/")
    if p.startswith("./"):
        p = p[2:]
    segs = [s for s in p.split("/") if s]
    return ["/".join(segs[:i]) for i in range(len(segs), 0, -1)]
