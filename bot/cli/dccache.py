"""A per-user cache of the methods ``dataclasses`` generates, for one-shot CLI processes.

A ``quorum review`` process builds about 85 dataclasses (the review's records, the policy, the
agents' views); for each, the standard library writes the source of ``__init__``, ``__repr__``,
``__eq__`` and, when frozen, ``__setattr__``/``__delattr__`` and compiles it with ``exec``: about
400 compilations, ~30 ms of CPU on every review (measured with a wrapper around ``dataclasses``'
``exec``; the rest of the dataclass machinery costs ~10 ms). The code object compiled from a
source text depends only on that text and the interpreter (version, optimization level), so it is
kept, ``marshal``-ed, in ``<cache_dir>/dataclass-code-<tag>.marshal`` and executed straight from
there next time: the same functions, without the compilation. What the generated functions *do*
is unchanged: the defining namespace (globals and the locals holding field defaults and types) is
still the one ``dataclasses`` passes at that moment; only the compiled text is reused.

Only the CLI installs it, for the duration of one command (``with DataclassCodeCache(...)``), by
giving the ``dataclasses`` module its own ``exec`` name (the builtin is left alone) and taking it
away again on exit. Fail safe: a missing, unreadable, foreign or mistyped cache file, or an entry
that does not load as a code object, is ignored and the source compiled the normal way. Unlike the
plain-data caches (:mod:`bot.cli.recache`), these entries are code, so the file is read only when
it is owned by the current user and writable by no one else (as Python trusts its own ``.pyc``
files in a directory only their owner may write); it is written with mode 0600. The generated
sources come from Quorum's class definitions only; nothing from a pull request reaches them.
Relies on ``dataclasses`` calling ``exec(source, globals, locals)`` with a source string (CPython
3.8 to 3.13); another call shape goes to the builtin unchanged.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from bot.core.marshalfile import read_marshal, write_marshal

MAX_ENTRIES = 4000
"""Sources kept at most (a review compiles ~400; other commands and versions add their own). A
run that would leave more in the file keeps only the sources it used itself, so the entries of
old versions of the code go rather than the new ones being left out."""

_FILENAME = "<string>"
"""The file name ``exec`` gives a compiled source string (tracebacks read the same)."""


def cache_file(cache_dir: Path) -> Path:
    """Where the cache for this interpreter (implementation, full version, optimization level) lives."""
    tag = f"{sys.implementation.cache_tag}-{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}" \
          f"{sys.version_info[3][0]}{sys.version_info[4]}-O{sys.flags.optimize}"
    return cache_dir / f"dataclass-code-{tag}.marshal"


def _trusted(path: Path) -> bool:
    """True when ``path`` is a regular file owned by this user and not writable by group or others."""
    try:
        st = path.stat()
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return (st.st_mode & 0o170000) == 0o100000 and not st.st_mode & 0o022


class DataclassCodeCache:
    """Context manager: while active, the functions ``dataclasses`` generates are compiled through
    the cache; on exit, ``dataclasses`` uses the builtin ``exec`` again and new entries are written
    back (atomically; an unwritable directory is ignored). ``hits`` / ``misses`` count sources."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_file(cache_dir)
        self.entries: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0
        self._used: set[str] = set()
        self._module: Any = None

    def __enter__(self) -> DataclassCodeCache:
        import dataclasses  # noqa: PLC0415

        if "exec" in vars(dataclasses):  # someone else's hook: leave it be
            return self
        loaded = read_marshal(self.path) if _trusted(self.path) else None
        if isinstance(loaded, dict):
            self.entries = {k: v for k, v in loaded.items() if type(k) is str and type(v) is bytes}
        self._module = dataclasses
        dataclasses.exec = self._exec  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._module is None:
            return
        if vars(self._module).get("exec") == self._exec:
            del self._module.exec
        self._module = None
        if self.misses:
            if len(self.entries) > MAX_ENTRIES:
                self.entries = {k: v for k, v in self.entries.items() if k in self._used}
            write_marshal(self.path, self.entries, ".dataclass-code-")

    def compiled(self, source: str) -> CodeType:
        """The code object of ``source`` as ``exec`` would compile it (file ``<string>``, no
        inherited ``__future__`` flags), from the cache when it holds it."""
        self._used.add(source)
        blob = self.entries.get(source)
        if blob is not None:
            try:
                code = marshal.loads(blob)
            except (ValueError, EOFError, TypeError):
                code = None
            if type(code) is CodeType and code.co_filename == _FILENAME:
                self.hits += 1
                return code
            self.entries.pop(source, None)
        code = compile(source, _FILENAME, "exec", dont_inherit=True)
        self.entries[source] = marshal.dumps(code)
        self.misses += 1
        return code

    def _exec(self, source: Any, globals_: Any = None, locals_: Any = None, /) -> None:
        if globals_ is None:  # exec's own default: the caller's namespaces
            caller = sys._getframe(1)
            globals_, locals_ = caller.f_globals, caller.f_locals if locals_ is None else locals_
        if type(source) is not str:
            return builtins.exec(source, globals_, locals_)
        return builtins.exec(self.compiled(source), globals_, locals_)
