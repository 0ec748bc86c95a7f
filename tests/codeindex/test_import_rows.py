"""Reading imports without building their records (``FileEntry.import_rows``, ``calls_name``) and
the resolution tests that use them answer exactly as the same tests over ``FileEntry.imports`` and
``call_names`` (the code before the tenth session)."""

from __future__ import annotations

import marshal
import posixpath

import pytest

from bot.codeindex import CodeIndex, builder, extract
from bot.codeindex.index import FileEntry
from bot.codeindex.model import Definition
from bot.codeindex.resolve import _dirname, _imports_any_of

GO = {
    "svc/run.go": "package svc\n\nfunc Run() {}\nfunc (s *S) Stop() {}\n",
    "svc/inner/x.go": "package inner\n\nfunc X() {}\n",
    "other/svc/y.go": "package svc\n\nfunc Y() {}\n",
    "cmd/main.go": 'package main\n\nimport (\n\t"example.com/m/svc"\n\tin "example.com/m/svc/inner"\n)\n\nfunc main() { svc.Run(); in.X() }\n',
    "cmd/two.go": 'package main\n\nimport . "example.com/m/other/svc"\n\nfunc two() { Y() }\n',
    "caf\u00e9/z.go": 'package z\n\nimport "example.com/m/caf\u00e9"\n\nfunc Z() {}\n',
    "plain/none.go": "package plain\n\nfunc N() {}\n",
}
PY = {
    "pkg/__init__.py": "from .impl import helper as h, K\n",
    "pkg/impl.py": "def helper(): pass\nclass K:\n    def m(self): pass\n",
    "pkg/use.py": "import pkg.impl as pi\nfrom pkg import impl as i, helper\nfrom x import *\nh = pi.helper\nhelper()\ni.helper()\n",
    "pkg/caf\u00e9.py": "from pkg.impl import K as \u00e9t\n\u00e9t()\n",
    "web/a.ts": "export default function f() {}\nexport function g() {}\n",
    "web/b.ts": "import f, { g as gg } from './a';\nimport * as a from './a';\nf(); gg(); a.g();\n",
}


def _lang(path: str) -> str:
    return {".py": "python", ".ts": "typescript", ".go": "go"}[path[path.rindex("."):]]


def _indexes(files: dict[str, str]) -> tuple[CodeIndex, CodeIndex]:
    """The same files as cache rows (imports kept as ``marshal`` bytes) and as extracted symbols."""
    symbols = [extract(_lang(p), p, src.encode()) for p, src in files.items()]
    rows = CodeIndex(FileEntry.from_row(s.path, "b", *builder.encode_entry(s)) for s in symbols)
    return rows, CodeIndex.from_symbols(symbols)


@pytest.mark.parametrize("files", [GO, PY])
def test_import_rows_are_the_imports_without_building_them(files: dict[str, str]) -> None:
    rows, plain = _indexes(files)
    for index in (rows, plain):
        for entry in index.files.values():
            got = entry.import_rows()
            if entry.stored_imports() is not None:
                assert entry._imports is None  # not built by import_rows
                assert entry.import_rows() is got  # unmarshalled once
            assert [tuple(r) for r in got] == [tuple(i) for i in entry.imports]
            assert entry.import_rows() == entry.imports  # once built, the records themselves
    assert sum(len(e.imports) for e in rows.files.values()) >= 4


def test_import_rows_of_corrupt_imports_raise_as_imports_do() -> None:
    stored = list(builder.decode_header("m.py", builder.encode_entry(extract("python", "m.py", b"import os\nos.getcwd()\n"))[0]))
    assert type(stored[2]) is bytes
    for junk in (b"not marshal", marshal.dumps([("os", None, "os", 1, 0)]), marshal.dumps((("os", None, "os"),)), marshal.dumps((3,))):
        stored[2] = junk
        entry = FileEntry("m.py", "b", tuple(stored), None)
        with pytest.raises((ValueError, TypeError)) as first:
            entry.imports  # noqa: B018
        with pytest.raises(first.type):
            entry.import_rows()


def _renamed_before(entry: FileEntry) -> list[tuple[str, str]]:
    """The renamed imports as ``CodeIndex._renamed_table`` read them before the eleventh session."""
    return [(i.name, i.alias) for i in entry.imports if i.name and i.alias and i.name != i.alias and i.alias in entry.call_names]


@pytest.mark.parametrize("files", [GO, PY])
def test_renamed_imports_and_their_table_as_before(files: dict[str, str]) -> None:
    """``FileEntry.renamed_imports`` (kept once computed) and the index's renamed-import table and
    scans over it answer as the imports read record by record did."""
    rows, plain = _indexes(files)
    for index in (rows, plain):
        table: dict[str, list[tuple[str, str]]] = {}
        for path in sorted(index.files):
            entry = index.files[path]
            assert list(entry.renamed_imports()) == _renamed_before(entry)
            assert entry.renamed_imports() is entry.renamed_imports()
            for name, alias in _renamed_before(entry):
                table.setdefault(name, []).append((path, alias))
        assert index._renamed_table() == table
        for name in [*table, "nope", "", None]:
            assert index._scan_renamed(name) == table.get(name, [])  # type: ignore[arg-type]
    assert any(rows.files[p].renamed_imports() for p in rows.files) or files is GO  # Go imports name no member


def test_renamed_imports_of_corrupt_imports_raise_as_imports_do() -> None:
    stored = list(builder.decode_header("m.py", builder.encode_entry(extract("python", "m.py", b"import os as o\no.getcwd()\n"))[0]))
    stored[2] = b"not marshal"
    with pytest.raises(ValueError):
        FileEntry("m.py", "b", tuple(stored), None).renamed_imports()


def test_calls_name_is_membership_in_call_names() -> None:
    header = builder.header_of(extract("python", "m.py", b"def f():\n    g()\n    obj.h()\n"))
    odd = list(header)
    odd[6] = ["g", "odd\nname", "h"]
    for hdr in (header, odd):
        entry = FileEntry.from_row("m.py", "b", builder.encode_header(hdr), None)
        for name in ("g", "h", "f", "", "odd", "odd\nname", "name", "\ng\n", None, 3):
            assert entry.calls_name(name) == (name in entry.call_names), name


@pytest.mark.parametrize("files", [GO, PY])
def test_mentions_are_the_same(files: dict[str, str]) -> None:
    rows, _ = _indexes(files)
    for entry in rows.files.values():
        imports = entry.imports
        assert entry.mentions == entry.def_names | entry.call_names | {i.alias for i in imports} | {i.name for i in imports if i.name}


def _old_go_imports_module_of(entry: FileEntry, d: Definition) -> bool:
    directory = posixpath.dirname(d.path)
    suffix = "/" + directory
    return bool(directory) and any(imp.module == directory or imp.module.endswith(suffix) for imp in entry.imports)


def test_go_imports_module_of_as_before() -> None:
    rows, plain = _indexes(GO)
    defs = [d for e in plain.files.values() for d in e.symbols().definitions]
    defs.append(Definition("top.go", "T", "T", "function", 1, 1, (), "()", True, None, (), (), None, False))
    answers = []
    for index in (rows, plain):
        for entry in index.files.values():
            for d in defs:
                got = index._imports_module_of_uncached(entry, d)
                assert got == _old_go_imports_module_of(entry, d), (entry.path, d.path)
                answers.append(got)
    assert True in answers and False in answers
    assert _dirname("a/b/c.go") == "a/b" and _dirname("c.go") == ""


@pytest.mark.parametrize("files", [GO, PY])
def test_imports_any_of_as_before(files: dict[str, str]) -> None:
    rows, plain = _indexes(files)
    names = {i.name for e in plain.files.values() for i in e.imports if i.name} | {"absent", "", "\u00e9t", "t", "K"}
    hits = 0
    for index in (rows, plain):
        for entry in index.files.values():
            for name in sorted(names):
                want = any(i.name in (name, "*", "default") for i in entry.imports)
                assert _imports_any_of(entry, (name, "*", "default")) == want, (entry.path, name)
                hits += want
    assert hits
