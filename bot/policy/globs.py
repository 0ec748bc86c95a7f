"""Path globs for the policy's ``sensitive_paths.extra`` (gitignore-like, case-insensitive).

The glob semantics live in :mod:`bot.core.sensitive` (one implementation for the built-in
categories and the policy's own globs):

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

from collections.abc import Iterable

from bot.core.sensitive import GlobError, compile_glob, glob_to_regex, path_and_parents


class GlobSet:
    """A named collection of globs: ``match(path)`` returns the first matching ``(label, glob)``.

    ``entries`` is an iterable of ``(label, glob)``; the label says why the glob is there (the
    policy's category name, e.g. ``"payments"``). Raises :class:`GlobError` on a bad glob.
    """

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._entries = [(label, glob, compile_glob(glob)) for label, glob in entries]

    def match(self, path: str) -> tuple[str, str] | None:
        """``(label, glob)`` of the first glob matching ``path`` or one of its parent
        directories, else None. ``path`` is POSIX and relative to the repository root."""
        candidates = path_and_parents(path)
        for label, glob, rx in self._entries:
            if any(rx.match(c) for c in candidates):
                return label, glob
        return None


__all__ = ["GlobError", "GlobSet", "glob_to_regex"]
