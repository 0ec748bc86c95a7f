"""A cached file's calls, local types and definitions by qualified name read without building its
other records (``FileEntry.calls``, ``FileEntry.local_types``, ``FileEntry.by_qualname``) equal
those of its full symbols, in every order of asking; corrupt data raises from them exactly as
from ``FileEntry.symbols``."""

from __future__ import annotations

import marshal
import zlib

import pytest

from bot.codeindex import builder, extract
from bot.codeindex.index import FileEntry
from bot.codeindex.model import FileSymbols, check_compact

SOURCES = {
    ("python", "pkg/m.py"): b"import os as o\nclass K(Base):\n    def m(self, a, *, b=1):\n        k = K()\n"
                            b"        return k.m(o.path.join(a), b=2) + helper(*a)\nLIMIT = 3\ndef helper(*xs):\n    return LIMIT\n",
    ("typescript", "web/a.ts"): b"import { g as gg } from './b';\nexport class A { run(x: number) { const b = new B(); b.go(gg(x)); } }\n",
    ("go", "svc/run.go"): b"package svc\n\nimport \"fmt\"\n\nfunc Run() { fmt.Println(Stop()) }\nfunc Stop() int { return 1 }\n",
}


def _entry(symbols: FileSymbols) -> FileEntry:
    header, data = builder.encode_entry(symbols)
    return FileEntry.from_row(symbols.path, "b", header, data)


@pytest.mark.parametrize(("language", "path"), list(SOURCES))
@pytest.mark.parametrize("order", ["calls first", "locals first", "symbols first"])
def test_calls_and_locals_equal_the_full_symbols(language: str, path: str, order: str) -> None:
    symbols = extract(language, path, SOURCES[(language, path)])
    assert symbols.calls
    entry = _entry(symbols)
    if order == "calls first":
        calls = entry.calls()
        assert entry._symbols is None and entry.calls() is calls
        full = entry.symbols()
        assert full.calls is calls and entry._compact is None
    elif order == "locals first":
        types = entry.local_types()
        assert entry._symbols is None
        full = entry.symbols()
        assert types == {(s, v): c for s, v, c in full.locals}
    else:
        full = entry.symbols()
    assert full == symbols
    assert entry.calls() == symbols.calls and entry.calls() is full.calls
    assert entry.local_types() == {(s, v): c for s, v, c in symbols.locals}
    if language == "python":
        assert symbols.locals


def _corrupt_rows() -> list[bytes]:
    good = builder.encode_entry(extract("python", "m.py", b"def f():\n    g()\n"))[1]
    compact = list(marshal.loads(zlib.decompress(good)))
    short_call = list(compact)
    short_call[3] = tuple(c[:-1] for c in compact[3])
    short_def = list(compact)
    short_def[2] = tuple(d[:-1] for d in compact[2])
    return [b"junk", zlib.compress(b"not marshal"), zlib.compress(marshal.dumps((1, 2))),
            zlib.compress(marshal.dumps(tuple(short_call))), zlib.compress(marshal.dumps(tuple(short_def)))]


@pytest.mark.parametrize("data", _corrupt_rows())
def test_corrupt_data_raises_from_every_reader(data: bytes) -> None:
    header = builder.encode_entry(extract("python", "m.py", b"def f():\n    g()\n"))[0]
    with pytest.raises((ValueError, TypeError)) as first:
        FileEntry.from_row("m.py", "b", header, data).symbols()
    for read in (FileEntry.calls, FileEntry.local_types, FileEntry.by_qualname, FileEntry.symbols):
        with pytest.raises(first.type):
            read(FileEntry.from_row("m.py", "b", header, data))
    with pytest.raises(ValueError, match="no symbol data"):
        FileEntry.from_row("m.py", "b", header, None).calls()
    with pytest.raises(ValueError, match="no symbol data"):
        FileEntry.from_row("m.py", "b", header, None).by_qualname()


def test_check_compact_is_what_from_compact_checks() -> None:
    symbols = extract("python", "m.py", SOURCES[("python", "pkg/m.py")])
    compact = marshal.loads(marshal.dumps(symbols.to_compact()))
    assert check_compact("m.py", compact) is compact
    assert FileSymbols.from_compact("m.py", compact) == FileSymbols.from_checked("m.py", compact) == symbols
    with pytest.raises(ValueError, match="malformed symbols"):
        check_compact("m.py", compact[:10])


TWICE = (b"class K:\n    def m(self):\n        pass\n    def m(self, x):\n        return x\n"
         b"def f(a, *, b=1):\n    return K().m(a)\ndef f():\n    pass\nX = 1\n")


@pytest.mark.parametrize(("language", "path", "source"), [*((lang, p, src) for (lang, p), src in SOURCES.items()),
                                                        ("python", "pkg/twice.py", TWICE)])
@pytest.mark.parametrize("symbols_first", [False, True])
def test_definitions_by_qualname_equal_the_full_symbols(language: str, path: str, source: bytes, symbols_first: bool) -> None:
    """Every qualified name gives the first definition of that name (a name defined twice: the
    first), an unknown name None, and the records are built one by one until the full symbols
    are."""
    symbols = extract(language, path, source)
    expected: dict[str, object] = {}
    for d in symbols.definitions:
        expected.setdefault(d.qualname, d)
    entry = _entry(symbols)
    if symbols_first:
        entry.symbols()
    by_qual = entry.by_qualname()
    assert (entry._symbols is None) is not symbols_first
    asked = [*reversed(list(expected)), "nope", f"{symbols.module}.nope", None]
    assert [by_qual.get(q) for q in asked] == [expected.get(q) for q in asked]  # type: ignore[arg-type]
    assert dict(by_qual) == expected and len(by_qual) == len(expected) and set(by_qual) == set(expected)
    assert "nope" not in by_qual and all(q in by_qual for q in expected)
    with pytest.raises(KeyError):
        by_qual["nope"]
    assert entry.by_qualname() is by_qual and entry.symbols() == symbols
    if path.endswith("twice.py"):
        assert len(expected) < len(symbols.definitions)
