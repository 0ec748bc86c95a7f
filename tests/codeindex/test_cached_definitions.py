"""``CodeIndex.cached_definitions``: a file version's module and definitions from the symbol cache
row of its blob equal ``extract_definitions`` of that content; anything the cache does not hold
exactly (other content, path or language, a remembered skip, a corrupt row, no cache) is left out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.adapters.gitlocal import CatFile, Git, GitTree
from bot.codeindex import CodeIndex, build_index, lazy_index
from bot.codeindex.cache import CACHE_FILE, SymbolCache
from bot.codeindex.extract import extract_definitions
from bot.codeindex.index import git_blob_sha
from bot.testing.gitrepo import commit, init_repo, write_files

FILES = {
    "pkg/m.py": "import os\nclass K(Base):\n    @property\n    def m(self, a: int, *, b=1) -> str:\n        return os.sep\n"
                "LIMIT: int = 3\ndef helper(*xs, **kw):\n    def inner(): pass\n    return LIMIT\n",
    "web/a.ts": "export class A { run(x: number): void {} }\nexport const f = (y: string) => y;\nfunction g() {}\n",
    "svc/run.go": "package svc\n\ntype S struct{}\n\nfunc (s *S) Stop(n int) error { return nil }\nfunc Run() {}\n",
    "bad.py": "def f(:\n    return X\n",
}
LANG = {"pkg/m.py": "python", "web/a.ts": "typescript", "svc/run.go": "go", "bad.py": "python"}


def _tree(tmp_path: Path) -> tuple[Path, GitTree]:
    repo = init_repo(tmp_path / "repo")
    write_files(repo, FILES)
    return repo, GitTree(Git(repo), CatFile(str(repo)), commit(repo, "c"))


def test_blob_sha_is_gits(tmp_path: Path) -> None:
    _, tree = _tree(tmp_path)
    assert {p: git_blob_sha(FILES[p].encode()) for p in FILES} == {p: b for p, b in tree.list_files().items() if p in FILES}


def test_cached_definitions_equal_extracted_ones(tmp_path: Path) -> None:
    _, tree = _tree(tmp_path)
    cache = tmp_path / "cache"
    build_index(tree, cache)
    for index in (lazy_index(tree, cache), build_index(tree, cache)):
        assert index.symbol_cache_dir == cache
        asked = [(p, LANG[p], FILES[p].encode()) for p in FILES]
        got = index.cached_definitions(asked)
        assert set(got) == set(FILES)
        for path, language, data in asked:
            assert got[path] == extract_definitions(language, path, data)
        assert any(got[p][1] for p in got)


def test_what_the_cache_does_not_hold_is_left_out(tmp_path: Path) -> None:
    _, tree = _tree(tmp_path)
    cache = tmp_path / "cache"
    index = lazy_index(tree, cache)  # parses on demand: nothing stored yet
    data = FILES["pkg/m.py"].encode()
    assert index.cached_definitions([("pkg/m.py", "python", data)]) == {}
    index = build_index(tree, cache)
    assert index.cached_definitions([]) == {}
    twice = [("pkg/m.py", "python", data), ("pkg/m.py", "python", data + b"\n"), ("bad.py", "python", FILES["bad.py"].encode())]
    assert set(index.cached_definitions(twice)) == {"bad.py"}  # a path asked twice is ambiguous: left out
    assert index.cached_definitions([("pkg/m.py", "python", data + b"\n")]) == {}  # other content
    assert index.cached_definitions([("pkg/other.py", "python", data)]) == {}  # other path
    assert index.cached_definitions([("web/a.ts", "tsx", FILES["web/a.ts"].encode())]) == {}  # other language
    assert CodeIndex.from_symbols([]).cached_definitions([("pkg/m.py", "python", data)]) == {}  # no cache
    blob = git_blob_sha(data)
    with SymbolCache(cache) as store:
        store.put_many([(blob, "pkg/m.py", "python", b"header", b"corrupt data")])
    assert index.cached_definitions([("pkg/m.py", "python", data)]) == {}
    with SymbolCache(cache) as store:
        store.put_many([(blob, "pkg/m.py", "python", None, None)])  # a remembered skip
    assert index.cached_definitions([("pkg/m.py", "python", data)]) == {}
    missing = CodeIndex.from_symbols([])
    missing.symbol_cache_dir = tmp_path / "file-not-dir"
    (tmp_path / "file-not-dir").write_text("x")
    assert missing.cached_definitions([("pkg/m.py", "python", data)]) == {}


def test_the_reader_opens_only_an_existing_cache(tmp_path: Path) -> None:
    _, tree = _tree(tmp_path)
    cache = tmp_path / "cache"
    build_index(tree, cache)
    keys = [(b, p, LANG[p]) for p, b in tree.list_files().items() if p in LANG]
    with SymbolCache(cache) as writer, SymbolCache(cache, reader=True) as reader:
        assert reader.get_many(keys) == writer.get_many(keys) and len(reader.get_many(keys)) == 4
    index = CodeIndex.from_symbols([])
    index.symbol_cache_dir = tmp_path / "absent"
    assert index.cached_definitions([("pkg/m.py", "python", FILES["pkg/m.py"].encode())]) == {}
    assert not (tmp_path / "absent").exists()  # nothing created by a read
    empty = tmp_path / "empty"
    empty.mkdir()
    sqlite3.connect(str(empty / CACHE_FILE)).close()  # a file without the table
    index.symbol_cache_dir = empty
    assert index.cached_definitions([("pkg/m.py", "python", FILES["pkg/m.py"].encode())]) == {}
