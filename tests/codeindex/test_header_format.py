"""The cached row format (``marshal``, extractor version 12) and the per-name lookups of a warm
index: a header read back from the cache gives the same :class:`FileEntry` as the symbols it was
made from, corrupt or old rows are never misread, and name lookups answer as a full name table."""

from __future__ import annotations

import json
import marshal
import zlib
from pathlib import Path

import pytest

from bot.adapters.gitlocal import CatFile, Git, GitTree
from bot.codeindex import build_index, builder, extract, index as index_module
from bot.codeindex.cache import CACHE_FILE, PAGE_SIZE, SymbolCache
from bot.codeindex.index import CodeIndex, FileEntry
from bot.codeindex.model import EXTRACTOR_VERSION, Import
from bot.testing.gitrepo import commit, init_repo, write_files

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SOURCES = {
    ("python", "pkg/mod.py"): (
        b"from .base import Base as B, helper\nfrom os import *\nimport json\n__all__ = ['Thing']\n"
        b"class Thing(B, mixins.Mixin):\n    def run(self):\n        return helper(json.dumps(self))\n"
        b"LIMIT = 3\ndef use():\n    return Thing().run() + LIMIT\nif __name__ == '__main__':\n    use()\n"
    ),
    ("python", "caf\udce9/bad.py"): b"X = '\xe9'\ndef f(:\n    return X\n",
    ("typescript", "src/app.ts"): (
        b"import def, { add as plus, LIMIT } from './util/math'\nimport './side'\n"
        b"export class Cart extends Base { addItem(s: string) { return plus(1, LIMIT) } }\n"
    ),
    ("go", "cmd/main.go"): b'package main\n\nimport (\n\t"fmt"\n\tst "github.com/a/b/store"\n)\n\nfunc main() { fmt.Println(st.Open()) }\n',
}


def _fields(entry: FileEntry) -> tuple[object, ...]:
    return (
        entry.path, entry.blob, entry.language, entry.module, entry.imports, entry.exports, entry.has_main,
        entry.def_names, entry.call_names, entry.ref_names, entry.lines, entry.errors, entry.class_bases,
        entry.mentions, list(entry.import_names()),
    )


@pytest.mark.parametrize(("language", "path"), list(SOURCES))
def test_a_cached_header_gives_the_entry_of_its_symbols(language: str, path: str) -> None:
    symbols = extract(language, path, SOURCES[(language, path)])
    header, data = builder.encode_entry(symbols)
    assert isinstance(header, bytes)
    from_row = FileEntry.from_row(path, "b1", header, data)
    from_symbols = FileEntry(path, "b1", builder.header_of(symbols), data)
    assert _fields(from_row) == _fields(from_symbols)
    assert all(type(i) is Import for i in from_row.imports)
    assert from_row.imports == symbols.imports
    # What the entry kept before the lazy fields: mentions as defined names, calls and every import's alias and name.
    old_mentions = (
        from_row.def_names | from_row.call_names | {i.alias for i in symbols.imports} | {i.name for i in symbols.imports if i.name}
    )
    assert from_row.mentions == old_mentions
    for kind, names in (("def", from_row.def_names), ("call", from_row.call_names), ("ref", from_row.ref_names)):
        fresh = FileEntry.from_row(path, "b1", header, data)
        for n in [*names, "absent", "", names and min(names)[:-1] or "x"]:
            assert fresh.has_name(kind, n, "\n" + n + "\n") == (n in names), (kind, n)
    for imp in symbols.imports:
        fresh = FileEntry.from_row(path, "b1", header, data)
        assert all(fresh.may_import(n.encode("utf-8", "surrogatepass")) for n in (imp.name, imp.alias, imp.module) if n)
    assert from_row.symbols() == symbols._replace(path=path)


def test_decode_header_rejects_what_is_not_a_header() -> None:
    good = builder.encode_entry(extract("python", "m.py", b"def f():\n    pass\n"))[0]
    for raw in (b"", b"\xff\x00garbage", good[:-3], marshal.dumps([1, 2]), marshal.dumps((1,) * 10), json.dumps([1]).encode()):
        with pytest.raises(ValueError, match="corrupt code index header for m.py"):
            builder.decode_header("m.py", raw)
    assert len(builder.decode_header("m.py", good)) == 11


def _tree(tmp_path: Path, files: dict[str, str]) -> GitTree:
    repo = init_repo(tmp_path / "repo")
    write_files(repo, files)
    return GitTree(Git(repo), CatFile(str(repo)), commit(repo, "c"))


def test_rows_of_an_older_format_are_never_read(tmp_path: Path) -> None:
    """A cache written by version 9 (JSON headers) holds rows for the same blobs: they are not
    read (they are keyed by version), the files are parsed and stored again in the new format."""
    tree = _tree(tmp_path, {"a.py": "def f():\n    return 1\n", "b.py": "from a import f\nf()\n"})
    cache = tmp_path / "cache"
    with SymbolCache(cache, version=EXTRACTOR_VERSION - 1) as old:
        files = tree.list_files()
        old.put_many((files[p], p, "python", json.dumps(["python", "x", [], None, 0, [], [], [], 1, 0, []]), b"junk") for p in files)
    first = build_index(tree, cache)
    assert (first.stats.parsed, first.stats.cached) == (2, 0) and first.stats.cache_error is None
    second = build_index(tree, cache)
    assert (second.stats.parsed, second.stats.cached) == (0, 2)
    assert [(c.path, c.line) for c in second.callers("a.f")] == [("b.py", 2)] == [(c.path, c.line) for c in first.callers("a.f")]
    with SymbolCache(cache) as new:
        assert new.count() == 2


def test_a_corrupt_cached_header_raises_value_error(tmp_path: Path) -> None:
    """The build raises (the pipeline then records the index as unavailable and the agent that
    needs it abstains), never loads a wrong header."""
    tree = _tree(tmp_path, {"a.py": "def f():\n    return 1\n"})
    cache = tmp_path / "cache"
    with SymbolCache(cache) as store:
        [(path, blob)] = tree.list_files().items()
        store.put_many([(blob, path, "python", b"not marshal", b"junk")])
    with pytest.raises(ValueError, match="corrupt code index header for a.py"):
        build_index(tree, cache)


def _symbols(count: int) -> list:  # noqa: ANN401
    """Files calling, defining, reading and importing overlapping names (renamed imports among them)."""
    files = []
    for k in range(count):
        j = (k + 1) % count
        source = (
            f"from p{j:02} import C{j}, d{j % 4} as alias{k}\nimport p{j:02}\nC{k} = 1\n"
            f"def d{k % 4}():\n    return c{k % 6}(C{j}) + alias{k}() + d{j % 4}() + p{j:02}.C{j}\n"
        )
        files.append(extract("python", f"p{k:02}.py", source.encode()))
    return files


def _index(count: int, *, cached: bool = True) -> CodeIndex:
    """An index over :func:`_symbols`, its entries read from cache rows (``cached``) or made from symbols."""
    if not cached:
        return CodeIndex.from_symbols(_symbols(count))
    return CodeIndex(FileEntry.from_row(s.path, "b", *builder.encode_entry(s)) for s in _symbols(count))


def _expected(idx: CodeIndex) -> tuple[list[object], dict[str, dict[object, list[object]]]]:
    """Every name a lookup can be asked (and absent ones), and each lookup's answer computed
    from the entries' fields directly (what the tables held before the eighth session)."""
    entries = [(p, idx.files[p]) for p in sorted(idx.files)]
    names: list[object] = sorted(
        {n for _, e in entries for n in e.def_names | e.call_names | e.ref_names | {i.name for i in e.imports if i.name}}
    )
    names += ["absent", "d", "", None, "a\nb"]
    out: dict[str, dict[object, list[object]]] = {}
    for kind, attr in (("def", "def_names"), ("call", "call_names"), ("ref", "ref_names")):
        out[kind] = {n: [p for p, e in entries if n in getattr(e, attr)] for n in names}
    out["renamed"] = {
        n: [(p, i.alias) for p, e in entries for i in e.imports
            if i.name == n and i.name and i.alias and i.name != i.alias and i.alias in e.call_names]
        for n in names
    }
    out["imports"] = {n: [(p, e, i) for p, e in entries for i in e.imports if i.name == n] for n in names}
    return names, out


def _ask(idx: CodeIndex, table: str, name: object) -> list[object]:
    if table == "renamed":
        return idx._aliases_of(name)  # type: ignore[arg-type]
    if table == "imports":
        return idx._importers_named(name)  # type: ignore[arg-type]
    return idx._paths_with(table, name)  # type: ignore[arg-type]


@pytest.mark.parametrize("scans", [0, 3, 64])
@pytest.mark.parametrize("cached", [True, False])
def test_name_lookups_answer_as_the_full_tables(monkeypatch: pytest.MonkeyPatch, scans: int, cached: bool) -> None:
    """Testing each file for a name (the first ``NAME_SCANS`` names of a table), then the full
    table, give the same answers in the same order as tables built from every file's fields,
    for present, absent, empty, None and newline names, asked twice."""
    monkeypatch.setattr(index_module, "NAME_SCANS", scans)
    monkeypatch.setattr(index_module, "NAME_TEXT_SCANS", scans)
    idx = _index(12, cached=cached)
    names, expected = _expected(idx)
    assert sum(len(v) for v in expected["renamed"].values()) == 12 and len(expected["call"]["c1"]) == 2
    for table in ("def", "call", "ref", "renamed", "imports"):
        assert [_ask(idx, table, n) for n in names] == [expected[table][n] for n in names], table
        assert [_ask(idx, table, n) for n in reversed(names)] == [expected[table][n] for n in reversed(names)], table
    lookups = [*idx._name_lookups.values(), idx._renamed_lookup, idx._imports_lookup]
    assert all(lookup.built == (len(names) > scans) for lookup in lookups)


def test_queries_are_the_same_from_rows_and_from_symbols(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, symbols = _index(12), _index(12, cached=False)
    monkeypatch.setattr(index_module, "NAME_SCANS", 0)
    monkeypatch.setattr(index_module, "NAME_TEXT_SCANS", 0)
    tabled = _index(12)
    found = 0
    for k in range(12):
        for target in (f"p{k:02}.d{k % 4}", f"p{k:02}.C{k}"):
            answers = [(i.callers(target), i.references(target), i.importers(i.definition(target))) for i in (rows, symbols, tabled)]
            assert answers[0] == answers[1] == answers[2]
            found += sum(map(len, answers[0]))
    assert found >= 36


def test_names_holding_a_newline_are_stored_as_sets() -> None:
    header = builder.header_of(extract("python", "m.py", b"def f():\n    g()\n"))
    header[6] = ["g", "odd\nname", "h"]
    entry = FileEntry.from_row("m.py", "b", builder.encode_header(header), None)
    assert entry.call_names == frozenset({"g", "h", "odd\nname"}) and entry.def_names == frozenset({"f"})
    assert entry.has_name("call", "g", "\ng\n") and not entry.has_name("call", "odd", "\nodd\n")
    idx = CodeIndex([entry])
    assert idx._paths_with("call", "odd\nname") == ["m.py"] and idx._paths_with("call", "name") == []


def test_corrupt_imports_raise_value_error_when_read() -> None:
    header = list(builder.decode_header("m.py", builder.encode_entry(extract("python", "m.py", b"import os\n"))[0]))
    header[2] = b"\xffnot marshal"
    entry = FileEntry("m.py", "b", tuple(header), None)
    assert entry.def_names == frozenset() and entry.may_import(b"not")
    with pytest.raises(ValueError, match="corrupt code index imports for m.py"):
        entry.imports  # noqa: B018


def test_corrupt_or_malformed_data_raises_value_error() -> None:
    """Symbol data that is not zlib, not marshal, or not records of the right shape is refused
    when decoded (the query that needs it fails; nothing is read wrong)."""
    symbols = extract("python", "m.py", b"import os\ndef f(a, b=1):\n    return os.path.join(a)\nf(1)\n")
    good = symbols.to_compact()
    assert builder.decode_data("m.py", builder.encode_entry(symbols)[1]) == symbols
    short_def = (*good[:2], tuple(d[:-1] for d in good[2]), *good[3:])
    short_param = (*good[:2], tuple((*d[:5], tuple(p[:3] for p in d[5]), *d[6:]) for d in good[2]), *good[3:])
    long_call = (*good[:3], tuple((*c, 1) for c in good[3]), *good[4:])
    for raw in (
        b"junk",
        zlib.compress(b"\xffjunk"),
        zlib.compress(marshal.dumps(list(good))),
        zlib.compress(marshal.dumps(good[:-1])),
        zlib.compress(marshal.dumps(short_def)),
        zlib.compress(marshal.dumps(short_param)),
        zlib.compress(marshal.dumps(long_call)),
    ):
        with pytest.raises(ValueError, match="m.py"):
            builder.decode_data("m.py", raw)


def test_a_new_cache_file_has_large_pages_and_an_old_one_still_works(tmp_path: Path) -> None:
    """``PAGE_SIZE`` applies to a new file; a file made with another page size is used as it is."""
    import sqlite3  # noqa: PLC0415

    with SymbolCache(tmp_path / "new") as cache:
        assert cache._db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 65_536
    old = tmp_path / "old"
    old.mkdir()
    db = sqlite3.connect(str(old / CACHE_FILE), isolation_level=None)
    db.execute("PRAGMA page_size=4096")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE symbols (blob TEXT NOT NULL, path BLOB NOT NULL, language TEXT NOT NULL,"
               " version INTEGER NOT NULL, header TEXT, data BLOB, PRIMARY KEY (blob, path, language, version)) WITHOUT ROWID")
    db.close()
    rows = [(f"b{k}", f"p{k}.py", "python", b"h" * 3000, b"d" * 9000) for k in range(50)]
    with SymbolCache(old) as cache:
        assert cache._db.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert cache.put_many(rows) == 50
    with SymbolCache(old) as cache:
        assert cache.get_many((b, p, lang) for b, p, lang, _, _ in rows) == {(b, p): (h, d) for b, p, _, h, d in rows}


def test_joined_name_scans_never_match_across_files() -> None:
    """A name search over every file's names joined finds a name only inside one file's part: not
    across a boundary (``"\\nb\\n"`` from one file's last name and the next file's first), not an
    empty name, and files whose names are stored as a set are tested on their own."""
    files = [extract("python", f"m{k}.py", src.encode()) for k, src in enumerate(
        ["def a():\n    b()\n", "def c():\n    pass\n", "x = 1\n", "def b():\n    a()\n", "def e():\n    d()\n"])]
    entries = [FileEntry.from_row(s.path, "b", *builder.encode_entry(s)) for s in files]
    header = builder.header_of(files[2])
    header[6] = ["b", "odd\nname"]  # m2.py calls b, stored as a set
    entries[2] = FileEntry.from_row("m2.py", "b", builder.encode_header(header), builder.encode_entry(files[2])[1])
    idx = CodeIndex(entries)
    text, starts, owners, sets = idx._joined_names["call"]
    assert sets == [2] and len(owners) == 4
    for kind in ("def", "call", "ref"):
        for name in ("a", "b", "c", "d", "e", "", "x", "odd", "odd\nname", "ab", "nowhere"):
            want = [p for p, e in sorted(idx.files.items()) if name in getattr(e, kind + "_names")]
            assert idx._scan_names(kind, name) == want, (kind, name)
    assert idx._scan_names("call", "b") == ["m0.py", "m2.py"]
