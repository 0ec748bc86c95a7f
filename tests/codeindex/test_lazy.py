"""The lazy code index answers every query as the full index does, parsing only what it must."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.codeindex import CodeIndex, LazyCodeIndex, build_index, builder, lazy_index
from bot.codeindex import lazy as lazy_module
from bot.codeindex.lazy import name_is_searchable, name_occurs
from bot.testing.fake_tree import MemoryTree

FILES = {
    # Python: a package with re-exports, relative imports, a wildcard, aliases, subclasses.
    "app/__init__.py": "from .core import compute\nfrom .models import *\n__all__ = ['compute', 'Engine']\n",
    "app/core.py": (
        "TIMEOUT = 30\n\n"
        "def compute(a, b, scale=1):\n    return helper(a) * b * scale\n\n"
        "def helper(x):\n    return x + TIMEOUT\n\n"
        "class Engine:\n    def start(self, n):\n        return self.spin(n)\n\n"
        "    def spin(self, n):\n        return compute(n, n)\n"
    ),
    "app/models.py": "from app.core import Engine as _E\n\nclass Turbo(_E):\n    def boost(self):\n        return self.start(3)\n",
    "app/cli.py": (
        "from app.core import compute as calc, TIMEOUT\nfrom app import core as c\n\n"
        "def main():\n    e = c.Engine()\n    e.start(TIMEOUT)\n    return calc(1, 2) + c.helper(3)\n\n"
        "if __name__ == '__main__':\n    main()\n"
    ),
    "app/web.py": "from . import core\n\n@route('/x')\ndef endpoint():\n    return core.compute(1, 2, scale=core.TIMEOUT)\n",
    "other/core2.py": "def compute(a):\n    return a\n\ndef use():\n    return compute(1)\n",
    "other/unrelated.py": "def lonely():\n    return 1\n\nclass Widget:\n    def render(self):\n        return lonely()\n",
    "tests/test_core.py": "from app.core import compute\n\ndef test_compute():\n    assert compute(1, 2) == 3\n",
    # JS/TS: default and named imports, a renamed import, a class hierarchy.
    "web/util.ts": "export const LIMIT = 5;\nexport function clamp(x: number) { return Math.min(x, LIMIT); }\n"
    "export default function pick(a, b) { return a || b; }\n",
    "web/app.ts": "import pick, { clamp as c } from './util';\nimport * as u from './util';\n"
    "export class Base { run() { return c(1) + u.LIMIT; } }\nexport class Child extends Base { go() { return this.run() + pick(1, 2); } }\n",
    "web/index.js": "const { clamp } = require('./util');\nmodule.exports = function main() { return clamp(3); };\n",
    "web/legacy.js": "exports.default = function () { return 1; };\n",
    "web/use.js": "import legacy from './legacy';\nexport function f() { return legacy(); }\n",
    # Go: two packages, an import, a method.
    "pkg/store/store.go": "package store\n\nconst Max = 3\n\ntype Store struct{}\n\nfunc (s *Store) Get(k string) int { return Max }\n\n"
    "func New() *Store { return &Store{} }\n",
    "pkg/store/extra.go": "package store\n\nfunc Helper() int { return New().Get(\"a\") }\n",
    "cmd/main.go": "package main\n\nimport \"example.com/x/pkg/store\"\n\nfunc main() { _ = store.New().Get(\"k\") + store.Max }\n",
    "README.md": "compute helper Engine\n",
}


def _answers(index: CodeIndex, defs) -> list:  # noqa: ANN001
    out = []
    for d in defs:
        out.append((
            index.resolved_callers(d), index.references(d), index.importers(d), index.reach(d), index.trace(d),
            index.is_entry_point(d), index.definitions(d.name), index.definition(d.qualname, d.path),
            index.callees(d), index.paths_calling(d.name), index.call_name(d),
        ))
    return out


def _all_defs(index: CodeIndex) -> list:
    return [d for p in sorted(index.files) for d in index.file(p).definitions]


def test_every_query_matches_the_full_index() -> None:
    tree = MemoryTree(FILES)
    full = build_index(tree, workers=1)
    defs = _all_defs(full)
    assert len(defs) > 20
    for d in defs:  # each query on a fresh lazy index: nothing parsed by an earlier query helps
        lazy = lazy_index(MemoryTree(FILES), workers=1)
        assert isinstance(lazy, LazyCodeIndex)
        assert _answers(lazy, [d]) == _answers(full, [d]), d
    lazy = lazy_index(tree, workers=1)
    assert _answers(lazy, defs) == _answers(full, defs)
    assert [lazy.file(p) for p in sorted(full.files)] == [full.file(p) for p in sorted(full.files)]
    assert sorted(lazy.files) == sorted(full.files)
    assert lazy.entry_points() == full.entry_points()


@pytest.fixture
def no_escalation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never switch to parsing everything because much was parsed already (the fixture is tiny)."""
    monkeypatch.setattr(lazy_module, "ESCALATE_SHARE", 1.0)


def test_a_narrow_query_parses_only_the_files_that_name_it(no_escalation: None) -> None:
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    assert lazy.stats.parsed == 0
    lonely = lazy.definition("other.unrelated.lonely", "other/unrelated.py")
    callers = lazy.callers(lonely)
    assert [(c.path, c.line) for c in callers] == [("other/unrelated.py", 6)]
    assert 1 <= lazy.stats.parsed <= 3  # other/unrelated.py, plus the package __init__ files at most
    assert lazy.stats.parsed < len(build_index(MemoryTree(FILES), workers=1).files)


def test_names_that_need_not_appear_in_the_source_parse_everything() -> None:
    assert not name_is_searchable("default")
    assert not name_is_searchable("caf\ufffd")
    assert not name_is_searchable("")
    assert name_is_searchable("compute")
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    lazy.definitions("default")
    assert not lazy._pending  # noqa: SLF001 - the fallback is the point of the test
    full = build_index(MemoryTree(FILES), workers=1)
    (default,) = full.definitions("default")
    assert [c.path for c in full.callers(default)] == ["web/use.js"]  # written `legacy()`, never `default`
    assert lazy_index(MemoryTree(FILES), workers=1).callers(default) == full.callers(default)


def test_listing_the_files_parses_every_file() -> None:
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    assert len(lazy.files) == len(build_index(MemoryTree(FILES), workers=1).files)
    assert lazy.stats.parsed == len(lazy.files)


def test_parsed_files_go_to_the_cache_and_a_later_review_starts_from_them(tmp_path: Path, no_escalation: None) -> None:
    tree = MemoryTree(FILES)
    first = lazy_index(tree, tmp_path, workers=1)
    first.callers(first.definition("app.core.compute", "app/core.py"))
    parsed = first.stats.parsed
    assert 0 < parsed < 16
    second = lazy_index(tree, tmp_path, workers=1)
    assert second.stats.cached == parsed
    sorted(second.files)  # completes the index: only the rest is parsed
    assert second.stats.parsed == 16 - parsed
    third = lazy_index(tree, tmp_path, workers=1)
    assert type(third) is CodeIndex  # every file cached: the plain index
    assert third.stats.cached == 16


def test_an_extraction_failure_falls_back_to_the_full_index(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builder.extract

    def failing(language: str, path: str, source: bytes, **kw):  # noqa: ANN202, ANN003
        if path == "app/models.py":
            raise ValueError("boom")
        return real(language, path, source, **kw)

    monkeypatch.setattr(builder, "extract", failing)
    monkeypatch.setattr(lazy_module, "extract", failing)
    full = build_index(MemoryTree(FILES), workers=1)
    assert "app/models.py" in full.stats.failed
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    engine = full.definition("app.core.Engine.start", "app/core.py")
    assert _answers(lazy, [engine]) == _answers(full, [engine])
    assert lazy.stats.failed.keys() == full.stats.failed.keys()
    assert _answers(lazy, _all_defs(full)) == _answers(full, _all_defs(full))


def test_a_git_tree_is_read_in_bulk_and_large_files_are_remembered(tmp_path: Path) -> None:
    from bot.adapters.gitlocal import CatFile, Git, GitTree
    from bot.testing.gitrepo import commit, init_repo, write_files

    repo = init_repo(tmp_path / "repo")
    big = "X = 1\n" * (builder.MAX_FILE_BYTES // 6 + 10)
    write_files(repo, {**{p: c for p, c in FILES.items()}, "big.py": big})
    sha = commit(repo, "commit")
    cat = CatFile(str(repo))
    try:
        tree = GitTree(Git(repo), cat, sha)
        blobs = tree.list_files()
        wanted = [blobs["app/core.py"], blobs["big.py"], "0" * 40]
        assert tree.blob_sizes(wanted) == {blobs["app/core.py"]: len(FILES["app/core.py"]), blobs["big.py"]: len(big)}
        assert tree.read_blobs(wanted[:1] + wanted[2:]) == {blobs["app/core.py"]: FILES["app/core.py"].encode()}
        cache = tmp_path / "cache"
        lazy = lazy_index(tree, cache, workers=1)
        full = build_index(GitTree(Git(repo), cat, sha), workers=1)
        assert lazy.stats.skipped == full.stats.skipped == 1
        defs = _all_defs(full)
        assert _answers(lazy, defs) == _answers(full, defs)
        assert "big.py" not in lazy.files
        again = lazy_index(GitTree(Git(repo), cat, sha), cache, workers=1)
        assert type(again) is CodeIndex and again.stats.skipped == 1  # the skip is remembered too
    finally:
        cat.close()


def test_large_on_demand_batches_use_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "SUBPROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_FILES", 0)
    full = build_index(MemoryTree(FILES), workers=1)
    lazy = lazy_index(MemoryTree(FILES), workers=2)
    defs = _all_defs(full)
    assert _answers(lazy, defs) == _answers(full, defs)
    # forked workers, or fresh interpreters when an earlier test left a thread running (fork unsafe)
    assert lazy.stats.workers == 2 and lazy.stats.mode in {"fork", "subprocess"}


def test_a_query_reading_most_of_the_tree_parses_all_of_it_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazy_module, "ESCALATE_SHARE", 0.01)
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    lazy.definitions("lonely")
    assert not lazy._pending  # noqa: SLF001 - one small file is over 1% of this tree
    monkeypatch.setattr(lazy_module, "ESCALATE_SHARE", 0.4)
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    lazy.definitions("lonely")
    assert lazy.stats.parsed == 1


def test_a_method_name_defined_twice_in_parsed_files_is_not_unique_without_parsing_more(no_escalation: None) -> None:
    files = {**FILES, "a/one.py": "class A:\n    def render(self):\n        return 1\n", "a/two.py": "class B:\n    def render(self):\n        return 2\n",
             "a/far.py": "def far():\n    return 'render'\n"}
    full = build_index(MemoryTree(files), workers=1)
    lazy = lazy_index(MemoryTree(files), workers=1)
    lazy.file("a/one.py"), lazy.file("a/two.py")
    parsed = lazy.stats.parsed
    assert lazy._unique_name("render") is full._unique_name("render") is False  # noqa: SLF001
    assert lazy.stats.parsed == parsed  # a/far.py (it mentions "render") was not needed
    assert lazy._unique_name("lonely") is full._unique_name("lonely") is True  # noqa: SLF001
    defs = _all_defs(full)
    assert _answers(lazy, defs) == _answers(full, defs)


GO_FILES = {
    # Package directories that are substrings of each other, `init` and `Close` defined in many
    # files, raw-string, aliased and dot imports, a file naming the package only in a comment.
    "pkg/store/store.go": "package store\n\ntype Store struct{}\n\nfunc (s *Store) Close() error { return nil }\n\n"
    "func (s *Store) reset() { s.init() }\n\nfunc (s *Store) init() {}\n\nfunc New() *Store { return &Store{} }\n\nfunc init() {}\n",
    "pkg/store/extra.go": "package store\n\nfunc Helper() error { return New().Close() }\n",
    "pkg/storex/other.go": "package storex\n\ntype Other struct{}\n\nfunc (o *Other) Close() error { return nil }\n\n"
    "func (o *Other) init() {}\n\nfunc New() *Other { o := &Other{}; o.init(); return o }\n\nfunc init() {}\n",
    "cmd/a/main.go": "package main\n\nimport s \"example.com/x/pkg/store\"\n\nfunc main() { _ = s.New().Close() }\n\nfunc init() {}\n",
    "cmd/b/main.go": "package main\n\nimport `example.com/x/pkg/storex`\n\nfunc main() { _ = storex.New().Close() }\n",
    "cmd/c/main.go": "package main\n\nimport . \"example.com/x/pkg/store\"\n\nfunc main() { _ = New().Close() }\n",
    "cmd/d/main.go": "package main\n\n// see pkg/store for New\nfunc New() int { return 1 }\n\nfunc main() { _ = New() }\n",
    "root.go": "package x\n\nfunc New() int { return 2 }\n\nfunc use() int { return New() }\n",
}


def test_go_callers_parse_only_the_package_and_its_importers(no_escalation: None) -> None:
    full = build_index(MemoryTree(GO_FILES), workers=1)
    defs = _all_defs(full)
    assert {d.qualname for d in defs} >= {"pkg/store.Store.Close", "pkg/store.Store.init", "pkg/store.New", "pkg/store.init"}
    for d in defs:  # each query on a fresh lazy index
        lazy = lazy_index(MemoryTree(GO_FILES), workers=1)
        assert _answers(lazy, [d]) == _answers(full, [d]), d
    (new,) = [d for d in defs if d.qualname == "pkg/store.New"]
    lazy = lazy_index(MemoryTree(GO_FILES), workers=1)
    assert [c.path for c in lazy.callers(new)] == [c.path for c in full.callers(new)] == [
        "cmd/a/main.go", "cmd/c/main.go", "pkg/store/extra.go"]
    # cmd/b imports pkg/storex, cmd/d names pkg/store in a comment only, root.go is another package.
    assert not {"cmd/b/main.go", "root.go", "pkg/storex/other.go"} & set(dict.keys(lazy.files))
    (close,) = [d for d in defs if d.qualname == "pkg/store.Store.Close"]  # a name never taken as unique
    lazy = lazy_index(MemoryTree(GO_FILES), workers=1)
    assert lazy.callers(close) == full.callers(close)
    assert "pkg/storex/other.go" not in dict.keys(lazy.files)


def test_a_go_method_name_defined_twice_settles_its_callers_scope(no_escalation: None) -> None:
    full = build_index(MemoryTree(GO_FILES), workers=1)
    (init,) = [d for d in _all_defs(full) if d.qualname == "pkg/store.Store.init"]
    lazy = lazy_index(MemoryTree(GO_FILES), workers=1)
    assert lazy.resolved_callers(init) == full.resolved_callers(init)
    assert lazy._unique_name("init") is full._unique_name("init") is False  # noqa: SLF001
    assert {"cmd/b/main.go", "root.go", "cmd/d/main.go"}.isdisjoint(dict.keys(lazy.files))


@pytest.mark.parametrize(
    ("source", "name", "language", "found"),
    [
        (b"x = compile(1)", "compile", "python", True),
        (b"x = compileTemplate(1)", "compile", "python", False),  # continues the identifier
        (b"x = recompile(1)", "compile", "python", False),
        (b"x = re_compile(1)", "compile", "python", False),
        (b"x = 1_compile", "compile", "python", True),  # a number may end where the name starts
        (b"x = 0xfcompile", "compile", "go", True),
        (b"x = $compile()", "compile", "python", True),  # `$` is not an identifier byte in Python
        (b"x = $compile()", "compile", "typescript", False),  # but is in JS/TS
        (b"x = /a/gcompile()", "compile", "javascript", True),  # a regular expression's flags
        (b"x = compile", "compile", "javascript", True),  # at the end of the file
        (b"recompile(); compile()", "compile", "typescript", True),  # a later occurrence counts
        (b"x = a$b", "a$b", "typescript", True),  # not a plain identifier: any occurrence
        (b"x = Generic[T]", "Generic[T]", "python", True),
    ],
)
def test_a_plain_identifier_is_searched_as_a_whole_token(source: bytes, name: str, language: str, found: bool) -> None:
    assert name_occurs(source, name, language) is found


def test_files_that_hold_a_name_only_inside_longer_identifiers_are_not_parsed(no_escalation: None) -> None:
    files = {**FILES, "app/far.py": "def recompute():\n    return compute_all()\n"}
    full = build_index(MemoryTree(files), workers=1)
    lazy = lazy_index(MemoryTree(files), workers=1)
    (compute,) = [d for d in full.definitions("compute") if d.path == "app/core.py"]
    assert lazy.resolved_callers(compute) == full.resolved_callers(compute)
    assert "app/far.py" not in dict.keys(lazy.files)
    defs = _all_defs(full)
    assert _answers(lazy, defs) == _answers(full, defs)


JS_FILES = {
    # A function imported by name, by a default import, through `..`, `.` and an index directory;
    # a method called through `this` in a subclass elsewhere and through a typed receiver.
    "src/store/index.ts": "export function open(x) { return x }\nexport default function make() { return open(1) }\n"
    "export class Store { open() { return 1 } }\n",
    "src/store/sub/a.ts": "import { open } from '..'\nexport const a = () => open(2)\n",
    "src/store/b.ts": "import { open } from '.'\nexport const b = () => open(3)\n",
    "src/c.ts": "import make, { open as o } from './store'\nexport const c = () => o(4) + make()\n",
    "src/d.ts": "import { Store } from './store/index'\nexport class Shop extends Store { go() { return this.open() } }\n",
    "src/e.ts": "import { Shop } from './d'\nexport function e() { const s = new Shop(); return s.open() }\n",
    "src/far.ts": "import { open } from './elsewhere'\nexport const f = () => open(5) + reopen()\n",
    "src/text.js": "// open the store, then open it again\nmodule.exports = function open() { return 0 }\n",
    "src/elsewhere.ts": "export function open(x) { return -x }\n",
}


def test_js_callers_parse_only_importers_and_the_class_family(no_escalation: None) -> None:
    full = build_index(MemoryTree(JS_FILES), workers=1)
    defs = _all_defs(full)
    for d in defs:  # each query on a fresh lazy index
        lazy = lazy_index(MemoryTree(JS_FILES), workers=1)
        assert _answers(lazy, [d]) == _answers(full, [d]), d
    (open_fn,) = [d for d in defs if d.qualname == "src/store/index.open"]
    lazy = lazy_index(MemoryTree(JS_FILES), workers=1)
    assert lazy.callers(open_fn) == full.callers(open_fn)
    assert {c.path for c in full.callers(open_fn)} >= {"src/store/sub/a.ts", "src/store/b.ts", "src/c.ts"}
    assert "src/far.ts" not in dict.keys(lazy.files)  # imports another `open`
    lazy = lazy_index(MemoryTree(JS_FILES), workers=1)
    assert _answers(lazy, defs) == _answers(full, defs)


PY_FILES = {
    # A module-level function reached through a package re-export, a wildcard hop, a renamed
    # re-export in a sub-package, `from .. import`, a module import and an unknown module name
    # ending the module's; nested definitions; a constant read through a module alias.
    "pkg/__init__.py": "from .mod import func\nfrom .star import *\n",
    "pkg/mod.py": (
        "CONST = 1\n\ndef func(a):\n    return a\n\n"
        "def outer():\n    def inner():\n        return 1\n    class Local:\n        pass\n    return inner(), Local()\n\n"
        "class Base:\n    def hook(self):\n        return func(1)\n"
    ),
    "pkg/star.py": "from .mod import *\n",
    "pkg/deep/__init__.py": "from ..star import func as f2\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/use_rel.py": "from .. import func\n\ndef r():\n    return func(1)\n",
    "app/a.py": "from pkg import func\n\ndef a():\n    return func(1)\n",
    "app/b.py": "import pkg.mod\n\ndef b():\n    return pkg.mod.func(2)\n",
    "app/c.py": "from pkg.deep import f2 as func, f2\n\ndef c():\n    return func(3) + f2(4)\n",
    "app/d.py": "from mod import func\n\ndef d():\n    return func(4)\n",
    "app/reads.py": "from pkg import mod as m\n\nX = m.CONST + 1\n",
    "app/sub.py": "from pkg.mod import Base\n\nclass Sub(Base):\n    def go(self):\n        return self.hook()\n",
    "app/far.py": "from elsewhere import func\n\ndef f():\n    return func(5) + inner() + Local() + CONST\n",
    "app/own.py": "def func(x):\n    return x\n\ndef inner():\n    return func(6)\n",
    "scripts/tool.py": "import sys\n\nfunc = print\nfunc(sys.argv)\n",
}


@pytest.fixture
def small_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work out Python scopes however little a name's files hold (the fixture is tiny)."""
    monkeypatch.setattr(lazy_module, "SCOPE_MIN_BYTES", 0)
    monkeypatch.setattr(lazy_module, "SCOPE_BUDGET", 100.0)
    monkeypatch.setattr(lazy_module, "FAMILY_FIRST_SHARE", 0.0)


def test_python_queries_parse_only_files_whose_imports_can_reach_the_module(no_escalation: None, small_scopes: None) -> None:
    full = build_index(MemoryTree(PY_FILES), workers=1)
    defs = _all_defs(full)
    for d in defs:  # each query on a fresh lazy index
        lazy = lazy_index(MemoryTree(PY_FILES), workers=1)
        assert _answers(lazy, [d]) == _answers(full, [d]), d
    (func,) = [d for d in defs if d.qualname == "pkg.mod.func"]
    lazy = lazy_index(MemoryTree(PY_FILES), workers=1)
    assert lazy.resolved_callers(func) == full.resolved_callers(func)
    assert {c.path for c in full.callers(func)} == {"pkg/mod.py", "pkg/sub/use_rel.py", "app/a.py", "app/b.py", "app/d.py"}
    assert lazy.importers(func) == full.importers(func) and lazy.references(func) == full.references(func)
    # far.py imports another `func`, own.py defines its own, tool.py binds it to print.
    assert not {"app/far.py", "app/own.py", "scripts/tool.py"} & set(dict.keys(lazy.files))
    (const,) = [d for d in defs if d.qualname == "pkg.mod.CONST"]
    lazy = lazy_index(MemoryTree(PY_FILES), workers=1)
    assert lazy.references(const) == full.references(const) != []
    assert "app/far.py" not in dict.keys(lazy.files)
    lazy = lazy_index(MemoryTree(PY_FILES), workers=1)
    assert _answers(lazy, defs) == _answers(full, defs)


def test_a_nested_python_definition_is_called_from_its_own_file_only(no_escalation: None, small_scopes: None) -> None:
    full = build_index(MemoryTree(PY_FILES), workers=1)
    for qualname in ("pkg.mod.outer.inner", "pkg.mod.outer.Local"):  # (no call matches a nested class)
        (d,) = [d for d in _all_defs(full) if d.qualname == qualname]
        lazy = lazy_index(MemoryTree(PY_FILES), workers=1)
        assert lazy.resolved_callers(d) == full.resolved_callers(d)
        assert set(dict.keys(lazy.files)) == {"pkg/mod.py"}  # far.py and own.py name them too
    assert [c.path for c in full.callers("pkg.mod.outer.inner")] == ["pkg/mod.py"]


def test_a_method_of_a_widely_named_class_matches_calls_before_its_family(no_escalation: None, small_scopes: None) -> None:
    files = {**PY_FILES, **{f"app/m{i}.py": f"from pkg.mod import Base\n\nclass M{i}(Base):\n    pass\n" for i in range(5)},
             "app/caller.py": "def call(x):\n    return x.hook()\n",
             "app/q.py": "class Q:\n    def hook(self):\n        return 0\n"}  # `hook` is not unique
    full = build_index(MemoryTree(files), workers=1)
    (hook,) = [d for d in _all_defs(full) if d.qualname == "pkg.mod.Base.hook"]
    lazy = lazy_index(MemoryTree(files), workers=1)
    assert lazy.resolved_callers(hook) == full.resolved_callers(hook) != []
    # caller.py's `x.hook()` matches no definition (the receiver is unknown, the name is not
    # unique), so Base's subclasses are never looked up: their files stay unparsed.
    assert not {f"app/m{i}.py" for i in range(5)} & set(dict.keys(lazy.files))


CHAIN_FILES = {
    # Re-exports 3 hops deep (a wildcard, another wildcard, another package's import), a caller
    # one hop further that names no module in its bytes (`from .. import`); and a renamed
    # re-export chain.
    "pkg/mod.py": "def func(a):\n    return a\n",
    "pkg/star.py": "from .mod import *\n",
    "pkg/__init__.py": "from .star import *\n",
    "other/__init__.py": "from pkg import func\n",
    "other/leaf/__init__.py": "",
    "other/leaf/use.py": "from .. import func\n\ndef u():\n    return func(1)\n",
    "lib/core.py": "def helper():\n    return 1\n",
    "lib/api.py": "from .core import helper as h\n",
    "lib/api2.py": "from .api import h as helper\n",
    "lib/__init__.py": "",
    "app/user.py": "from lib.api2 import helper\n\ndef go():\n    return helper()\n",
    "app/far.py": "from elsewhere import func, helper\n\ndef f():\n    return func(2) + helper()\n",
}


def test_python_scopes_follow_package_imports_and_renamed_re_exports(no_escalation: None, small_scopes: None) -> None:
    full = build_index(MemoryTree(CHAIN_FILES), workers=1)
    defs = _all_defs(full)
    for d in defs:
        lazy = lazy_index(MemoryTree(CHAIN_FILES), workers=1)
        assert _answers(lazy, [d]) == _answers(full, [d]), d
    for qualname, caller in (("pkg.mod.func", "other/leaf/use.py"), ("lib.core.helper", "app/user.py")):
        (d,) = [d for d in defs if d.qualname == qualname]
        lazy = lazy_index(MemoryTree(CHAIN_FILES), workers=1)
        assert [c.path for c in lazy.callers(d)] == [c.path for c in full.callers(d)] == [caller]
        assert "app/far.py" not in dict.keys(lazy.files)


def test_a_review_asking_about_many_names_parses_every_file_at_once(no_escalation: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazy_module, "ESCALATE_NAMES", 3)
    full = build_index(MemoryTree(FILES), workers=1)
    lazy = lazy_index(MemoryTree(FILES), workers=1)
    for n, name in enumerate(["lonely", "render", "Widget"]):
        assert lazy.definitions(name) == full.definitions(name)
        assert lazy._pending and n < 3  # noqa: SLF001 - three names: still parsing only what they need
    assert lazy.definitions("compute") == full.definitions("compute")
    assert not lazy._pending  # noqa: SLF001 - the fourth name: everything at once
    defs = _all_defs(full)
    assert _answers(lazy, defs) == _answers(full, defs)


@pytest.mark.parametrize("scans", [0, 3, 64])
def test_lookups_by_scanning_or_by_tables_answer_as_the_full_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scans: int) -> None:
    """Half the tree cached (headers as the cache stores them), half parsed on demand: every query
    answers as the full index whether lookups scan the parsed files (``NAME_SCANS`` 64: no table
    is built for one definition's queries), switch to the tables midway (3) or build them at once (0)."""
    monkeypatch.setattr(lazy_module, "NAME_SCANS", scans)
    cache = tmp_path / "cache"
    half = {p: s for k, (p, s) in enumerate(sorted(FILES.items())) if k % 2}
    primed = build_index(MemoryTree(half), cache, workers=1).stats.files
    full = build_index(MemoryTree(FILES), workers=1)
    defs = _all_defs(full)
    built = []
    for k, d in enumerate(defs):  # a copy of the half-primed cache each time (parsed files are stored)
        copy = shutil.copytree(cache, tmp_path / f"c{k}") if k % 2 else None
        lazy = lazy_index(MemoryTree(FILES), copy, workers=1)
        assert isinstance(lazy, LazyCodeIndex) and lazy.stats.cached == (primed if copy else 0) > -1
        assert _answers(lazy, [d]) == _answers(full, [d]), d
        built.append(lazy._maps is not None)
    assert {0: all(built), 3: any(built) and not all(built), 64: not any(built)}[scans]
    lazy = lazy_index(MemoryTree(FILES), cache, workers=1)
    assert _answers(lazy, defs) == _answers(full, defs)
