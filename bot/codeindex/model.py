"""Records of the code index: definitions, parameters, call sites, imports, per-file symbols.

All records are ``NamedTuple``\\ s: cheap to build by the hundred thousand, picklable across
processes, and JSON-serializable as plain lists. :class:`FileSymbols` has a compact form of
plain tuples (:meth:`FileSymbols.to_compact` / :meth:`FileSymbols.from_compact`) that the cache
stores with ``marshal`` (never pickle: a cache directory must not be able to run code).

Line numbers are 1-based, inclusive. Qualified names join the module name and the enclosing
definitions with dots: ``pkg.mod.Class.method`` (Python), ``src/util/math.add`` (JS/TS: the
path without extension), ``internal/store.Store.Get`` (Go: the package directory).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

EXTRACTOR_VERSION = 12
"""Bumped whenever extraction output or the cache's row format changes, so stale cache rows are
never reused (12: header and data in ``marshal``, see :func:`bot.codeindex.builder.encode_entry`)."""


class Param(NamedTuple):
    """One declared parameter.

    ``kind`` is ``positional_only``, ``positional`` (positional or keyword), ``keyword_only``,
    ``var_positional`` (``*args``, JS ``...rest``, Go ``...T``) or ``var_keyword`` (``**kwargs``).
    ``annotation`` is the declared type as written (Python only; ``""`` when absent).
    """

    name: str
    kind: str
    has_default: bool
    annotation: str = ""


class Definition(NamedTuple):
    """A definition: ``kind`` is ``function``, ``method``, ``class``, ``constant`` or ``variable``.

    ``params`` is None for classes and constants. ``parent`` is the enclosing definition's
    qualified name (None at module level). ``value_kind`` (constants and variables only) is
    ``string``, ``number`` or ``other``. ``exported`` marks an explicit export (``__all__``, JS
    ``export``, Go capitalized name); ``is_public`` means no leading underscore anywhere in the
    name chain (Go: capitalized).
    """

    path: str
    name: str
    qualname: str
    kind: str
    line: int
    end_line: int
    params: tuple[Param, ...] | None = None
    signature: str = ""
    is_public: bool = True
    parent: str | None = None
    decorators: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    value_kind: str | None = None
    exported: bool = False

    @property
    def is_callable(self) -> bool:
        """True for functions and methods."""
        return self.kind in ("function", "method")


class CallSite(NamedTuple):
    """A call. ``callee`` is the called expression as written (``self.save``, ``os.path.join``;
    ``<expr>.name`` when the receiver is not a plain dotted name); ``name`` its last identifier.
    ``scope`` is the qualified name of the enclosing definition (the module name at top level).
    ``positional`` counts positional arguments, ``keywords`` lists keyword names, ``has_splat``
    tells that ``*args`` / ``**kwargs`` / ``...spread`` was passed (arity then unknown).
    """

    path: str
    line: int
    callee: str
    name: str
    scope: str
    positional: int
    keywords: tuple[str, ...] = ()
    has_splat: bool = False


class Import(NamedTuple):
    """One imported binding.

    ``module`` is the module as written without leading dots (Python), the specifier (JS/TS,
    e.g. ``./util``) or the import path (Go). ``name`` is the imported member (None for a
    whole-module import; ``*`` for a wildcard). ``alias`` is the local name bound (``""`` for a
    wildcard or a side-effect import). ``level`` counts leading dots of a Python relative import.
    """

    module: str
    name: str | None
    alias: str
    line: int
    level: int = 0


class Reference(NamedTuple):
    """A read of ``name`` at ``path``:``line``."""

    path: str
    line: int
    name: str


class Step(NamedTuple):
    """One step of a call path: where (``path``, ``line``) and in which definition (``symbol``)."""

    path: str
    line: int
    symbol: str

    def render(self) -> str:
        """``"path:line symbol"``, the evidence format of execution-path findings."""
        return f"{self.path}:{self.line} {self.symbol}"


class FileSymbols(NamedTuple):
    """Everything extracted from one file.

    ``references`` maps a referenced name to the sorted lines where it is read (identifiers
    that look like constants, imported names, and ``alias.attr`` of imported modules; not the
    definition site). ``exports`` is the literal ``__all__`` (Python) or None. ``has_main``
    is True for ``if __name__ == "__main__"`` (Python) or ``package main`` (Go). ``errors``
    is True when the parser had to recover from syntax errors. ``lines`` counts source lines.
    ``locals`` lists ``(scope, variable, class)`` for ``variable = Class(...)`` assignments
    (Python; the class as written, e.g. ``models.Cart``), used to resolve ``variable.method()``.
    """

    path: str
    language: str
    module: str
    definitions: tuple[Definition, ...] = ()
    calls: tuple[CallSite, ...] = ()
    imports: tuple[Import, ...] = ()
    references: dict[str, tuple[int, ...]] = {}
    exports: tuple[str, ...] | None = None
    has_main: bool = False
    errors: bool = False
    lines: int = 0
    locals: tuple[tuple[str, str, str], ...] = ()

    def to_compact(self) -> tuple[Any, ...]:
        """Plain data for the cache's ``marshal`` (tuples, a dict, str, int, bool, None; records
        as tuples without their path, which the cache row holds); see :meth:`from_compact`."""
        return (
            self.language,
            self.module,
            tuple(
                (*d[1:6], None if d.params is None else tuple(tuple(p) for p in d.params), d.signature, d.is_public,
                 d.parent, tuple(d.decorators), tuple(d.bases), d.value_kind, d.exported)
                for d in self.definitions
            ),
            tuple((*c[1:6], tuple(c.keywords), c.has_splat) for c in self.calls),
            tuple(tuple(i) for i in self.imports),
            {k: tuple(v) for k, v in self.references.items()},
            None if self.exports is None else tuple(self.exports),
            self.has_main,
            self.errors,
            self.lines,
            tuple(tuple(x) for x in self.locals),
        )

    @classmethod
    def from_compact(cls, path: str, data: tuple[Any, ...]) -> FileSymbols:
        """Rebuild from :meth:`to_compact` output after a ``marshal`` round trip. Records are
        made with ``tuple.__new__`` (a named tuple's own constructor is a Python function, ~5x
        slower per record), after checking every record's length.

        Raises ``ValueError`` / ``TypeError`` / ``IndexError`` on malformed data.
        """
        return cls.from_checked(path, check_compact(path, data))

    @classmethod
    def from_checked(cls, path: str, data: tuple[Any, ...], calls: tuple[CallSite, ...] | None = None) -> FileSymbols:
        """:meth:`from_compact` of data :func:`check_compact` has accepted; ``calls``: the file's
        calls already built by :func:`calls_of_checked` from the same data (used as they are)."""
        language, module, _defs, _calls, imports, refs, exports, has_main, errors, lines, locals_ = data
        new = tuple.__new__
        return cls(
            path=path,
            language=language,
            module=module,
            definitions=definitions_of_checked(path, data),
            calls=calls_of_checked(path, data) if calls is None else calls,
            imports=tuple([new(Import, i) for i in imports]),
            references=dict(refs),
            exports=exports,
            has_main=bool(has_main),
            errors=bool(errors),
            lines=int(lines),
            locals=tuple(locals_),
        )


def check_compact(path: str, data: Any) -> tuple[Any, ...]:  # noqa: ANN401 - unmarshalled data
    """``data`` (:meth:`FileSymbols.to_compact` output after a ``marshal`` round trip), once every
    record of it has the length its type needs. Raises ``ValueError`` / ``TypeError`` otherwise."""
    if type(data) is not tuple or len(data) != 11:
        raise ValueError(f"malformed symbols of {path}")
    _language, _module, defs, calls, imports, _refs, _exports, _has_main, _errors, _lines, locals_ = data
    if (
        {len(d) for d in defs} - {13}
        or {len(c) for c in calls} - {7}
        or {len(i) for i in imports} - {5}
        or {len(p) for d in defs if d[5] is not None for p in d[5]} - {4}
        or {len(x) for x in locals_} - {3}
    ):
        raise ValueError(f"malformed records in the symbols of {path}")
    return data


def calls_of_checked(path: str, data: tuple[Any, ...]) -> tuple[CallSite, ...]:
    """The calls of data :func:`check_compact` has accepted, as :meth:`FileSymbols.from_checked`
    builds them (for a query that reads only a file's calls)."""
    new = tuple.__new__
    head = (path,)
    return tuple([new(CallSite, head + c) for c in data[3]])


def definitions_of_checked(path: str, data: tuple[Any, ...]) -> tuple[Definition, ...]:
    """The definitions of data :func:`check_compact` has accepted, as :meth:`FileSymbols.from_checked`
    builds them (for a reader that needs only a file's definitions)."""
    new = tuple.__new__
    head = (path,)
    return tuple([
        new(Definition, head + d[:5] + (None if d[5] is None else tuple([new(Param, p) for p in d[5]]),) + d[6:])
        for d in data[2]
    ])


class DefinitionsByQualname(Mapping[str, Definition]):
    """Qualified name -> the file's first definition of that name, over data :func:`check_compact`
    has accepted, each :class:`Definition` built when first asked for (equal to the record
    :func:`definitions_of_checked` builds). A caller query looks up the enclosing definitions of
    a few calls per file; building every definition of a large file for them cost more than
    the lookups (pydantic ``c82f870d4c``: ~100 files). Safe from several threads (a
    concurrent first lookup builds an equal record)."""

    __slots__ = ("_defs", "_made", "_path", "_where")

    def __init__(self, path: str, data: tuple[Any, ...]) -> None:
        self._path = path
        self._defs: tuple[Any, ...] = data[2]
        self._where: dict[str, int] | None = None
        self._made: dict[str, Definition] = {}

    def _positions(self) -> dict[str, int]:
        where = self._where
        if where is None:
            where = {}
            for i, d in enumerate(self._defs):
                where.setdefault(d[1], i)  # d[1]: the qualname (a record without its path)
            self._where = where
        return where

    def get(self, qualname: object, default: Any = None) -> Any:  # noqa: ANN401 - Mapping.get's default
        """The definition named ``qualname``, else ``default`` (as ``dict.get``)."""
        made = self._made.get(qualname)  # type: ignore[call-overload]
        if made is not None:
            return made
        i = self._positions().get(qualname)  # type: ignore[call-overload]
        if i is None:
            return default
        d = self._defs[i]
        new = tuple.__new__
        made = new(Definition, (self._path, *d[:5], None if d[5] is None else tuple([new(Param, p) for p in d[5]]), *d[6:]))
        self._made[qualname] = made  # type: ignore[index]
        return made

    def __getitem__(self, qualname: str) -> Definition:
        made = self.get(qualname)
        if made is None:
            raise KeyError(qualname)
        return made

    def __contains__(self, qualname: object) -> bool:
        return qualname in self._positions()

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions())

    def __len__(self) -> int:
        return len(self._positions())
