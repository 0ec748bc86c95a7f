"""The code index over real git trees: caching by blob SHA, resolution, references, traces."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.adapters.gitlocal import CatFile, Git, GitTree
from bot.codeindex import CodeIndex, build_index, builder
from bot.codeindex.cache import CACHE_FILE
from bot.testing.gitrepo import commit, init_repo, write_files

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

Files = dict[str, "str | bytes | None"]


@pytest.fixture
def tree_of(tmp_path: Path) -> Iterator[Callable[..., GitTree]]:
    """``tree_of(files, repo=None) -> GitTree`` of a new commit (in a new repo, or on top of ``repo``)."""
    cats: list[CatFile] = []
    counter = iter(range(1000))

    def make(files: Files, repo: Path | None = None) -> GitTree:
        if repo is None:
            repo = init_repo(tmp_path / f"repo{next(counter)}")
        write_files(repo, files)
        sha = commit(repo, "commit")
        cat = CatFile(str(repo))
        cats.append(cat)
        tree = GitTree(Git(repo), cat, sha)
        tree.repo = repo  # type: ignore[attr-defined]
        return tree

    yield make
    for cat in cats:
        cat.close()


APP: Files = {
    "app/__init__.py": "from .core import compute\n__all__ = ['compute']\n",
    "app/core.py": (
        "TIMEOUT = 30\n"
        "\n"
        "def compute(a, b, scale=1):\n"
        "    return (a + b) * scale\n"
        "\n"
        "def helper(x):\n"
        "    return compute(x, 1)\n"
        "\n"
        "class Engine:\n"
        "    def start(self, n):\n"
        "        return self.spin(n)\n"
        "\n"
        "    def spin(self, n):\n"
        "        return n\n"
    ),
    "app/turbo.py": (
        "from app.core import Engine\n"
        "\n"
        "class Turbo(Engine):\n"
        "    def boost(self):\n"
        "        return self.spin(2)\n"
    ),
    "app/cli.py": (
        "from app.core import compute, TIMEOUT\n"
        "from app import core as c\n"
        "\n"
        "def main():\n"
        "    print(compute(1, 2), TIMEOUT, c.TIMEOUT)\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    ),
    "app/web.py": (
        "from . import core\n"
        "\n"
        "@router.get('/x')\n"
        "def endpoint():\n"
        "    return core.helper(3)\n"
    ),
    "other/core2.py": "def compute(a):\n    return a\n\ndef use():\n    return compute(1)\n",
    "tests/test_core.py": "from app.core import compute\n\ndef test_compute():\n    assert compute(1, 2) == 3\n",
    "node_modules/lib/index.js": "export function compute(a) { return a }\n",
    "README.md": "# readme\n",
}


def lines(calls) -> list[tuple[str, int]]:  # noqa: ANN001
    return [(c.path, c.line) for c in calls]


def test_index_skips_vendored_and_unsupported_files(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    assert sorted(idx.files) == [
        "app/__init__.py", "app/cli.py", "app/core.py", "app/turbo.py", "app/web.py", "other/core2.py",
        "tests/test_core.py",
    ]
    assert idx.stats.skipped == 1 and idx.stats.parsed == 7 and idx.stats.lines > 30


def test_non_utf8_paths_and_sources_round_trip_through_the_cache(tree_of, tmp_path: Path) -> None:  # noqa: ANN001
    files: Files = {"caf\udce9/m.py".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape"): b"X = '\xe9'\ndef f():\n    return X\n"}
    tree = tree_of(files)
    cold = build_index(tree, tmp_path / "cache")
    warm = build_index(tree, tmp_path / "cache")
    assert warm.stats.cached == 1 and not cold.stats.failed
    [path] = warm.files
    assert [d.name for d in warm.file(path).definitions] == ["f", "X"]


def test_large_files_are_skipped(tree_of) -> None:  # noqa: ANN001
    big = "X = 1\n" * (builder.MAX_FILE_BYTES // 6 + 10)
    idx = build_index(tree_of({"big.py": big, "small.py": "Y = 2\n"}))
    assert list(idx.files) == ["small.py"] and idx.stats.skipped == 1


def test_second_build_parses_only_changed_blobs(tree_of, tmp_path: Path) -> None:  # noqa: ANN001
    cache = tmp_path / "cache"
    first = tree_of(APP)
    cold = build_index(first, cache)
    assert (cold.stats.parsed, cold.stats.cached) == (7, 0)
    assert (cache / CACHE_FILE).is_file()
    warm = build_index(first, cache)
    assert (warm.stats.parsed, warm.stats.cached) == (0, 7)
    assert warm.callers("app.core.compute") == cold.callers("app.core.compute")
    second = tree_of({"app/web.py": "from . import core\n\ndef endpoint():\n    return core.compute(1, 2)\n"}, first.repo)
    incr = build_index(second, cache)
    assert (incr.stats.parsed, incr.stats.cached) == (1, 6)
    assert ("app/web.py", 4) in lines(incr.callers("app.core.compute"))


def test_unusable_cache_is_reported_not_raised(tree_of, tmp_path: Path) -> None:  # noqa: ANN001
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    idx = build_index(tree_of(APP), cache)
    assert idx.stats.cache_error and CACHE_FILE in idx.stats.cache_error
    assert idx.stats.parsed == 7


def test_parallel_build_matches_serial(tree_of, monkeypatch) -> None:  # noqa: ANN001
    if threading.active_count() > 1:
        pytest.skip("worker processes are only forked from a single-threaded process")
    files = {f"pkg/m{i}.py": f"from pkg.m{(i + 1) % 12} import f{(i + 1) % 12}\n\ndef f{i}(x):\n    return f{(i + 1) % 12}(x)\n" for i in range(12)}
    tree = tree_of(files)
    serial = build_index(tree, workers=0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "CHUNK_BYTES", 200)
    parallel = build_index(tree, workers=2)
    assert parallel.stats.workers == 2 and serial.stats.workers == 0
    for i in range(12):
        assert parallel.callers(f"pkg.m{i}.f{i}") == serial.callers(f"pkg.m{i}.f{i}")
        assert lines(serial.callers(f"pkg.m{i}.f{i}")) == [(f"pkg/m{(i - 1) % 12}.py", 4)]


_PARENT = os.getpid()
_ORIGINAL_EXTRACT = builder._extract_chunk


def _dying_in_workers(chunk):  # noqa: ANN001, ANN202
    """Stands in for the worker body: a forked worker dies (as if killed), the parent parses."""
    if os.getpid() != _PARENT:
        os._exit(3)
    return _ORIGINAL_EXTRACT(chunk)


def test_failed_workers_fall_back_to_in_process_parsing(tree_of, monkeypatch) -> None:  # noqa: ANN001
    if threading.active_count() > 1:
        pytest.skip("worker processes are only forked from a single-threaded process")
    monkeypatch.setattr(builder, "_extract_chunk", _dying_in_workers)
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_FILES", 0)
    idx = build_index(tree_of(APP), workers=2)
    assert idx.stats.parsed == 7 and "worker failure" in idx.stats.mode
    assert lines(idx.callers("app.core.helper")) == [("app/web.py", 5)]


def _with_a_thread_running(fn):  # noqa: ANN001, ANN202
    release = threading.Event()
    helper = threading.Thread(target=release.wait)
    helper.start()
    try:
        return fn()
    finally:
        release.set()
        helper.join()


def test_threads_use_worker_interpreters_instead_of_fork(tree_of, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(builder, "SUBPROCESS_MIN_BYTES", 0)
    tree = tree_of(APP)
    idx = _with_a_thread_running(lambda: build_index(tree, workers=2))
    assert idx.stats.workers == 2 and idx.stats.mode == "subprocess" and idx.stats.parsed == 7
    assert lines(idx.callers("app.core.compute")) == lines(build_index(tree, workers=0).callers("app.core.compute"))


def test_small_work_in_a_threaded_process_is_parsed_in_process(tree_of, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_FILES", 0)
    idx = _with_a_thread_running(lambda: build_index(tree_of(APP), workers=2))
    assert idx.stats.mode == "serial" and idx.stats.parsed == 7


def test_failed_worker_interpreters_fall_back_to_in_process(tree_of, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(builder, "SUBPROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "_BOOT", "import sys; sys.stdin.buffer.read(); raise SystemExit(3)")
    idx = _with_a_thread_running(lambda: build_index(tree_of(APP), workers=2))
    assert idx.stats.parsed == 7 and idx.stats.mode == "subprocess, partly in process (worker failure)"
    assert lines(idx.callers("app.core.helper")) == [("app/web.py", 5)]


def test_callers_are_narrowed_by_imports(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    assert lines(idx.callers("app.core.compute")) == [("app/cli.py", 5), ("app/core.py", 7), ("tests/test_core.py", 4)]
    assert lines(idx.callers("other.core2.compute")) == [("other/core2.py", 5)]
    assert len(idx.callers("compute")) == 4  # a bare name: every definition's callers
    assert lines(idx.callers("app.core.helper")) == [("app/web.py", 5)]  # relative "from . import core"


def test_method_callers_through_self_and_subclasses(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    found = idx.resolved_callers("app.core.Engine.spin")
    assert [(c.path, c.line, how) for c, how in found] == [("app/core.py", 11, "local"), ("app/turbo.py", 5, "inherit")]


def test_unknown_receivers_match_only_unique_uncommon_names(tree_of) -> None:  # noqa: ANN001
    files = {
        "a.py": "class A:\n    def frobnicate(self):\n        pass\n    def get(self):\n        pass\n",
        "b.py": "def use(obj):\n    obj.frobnicate()\n    return obj.get()\n",
    }
    idx = build_index(tree_of(files))
    assert [(c.path, how) for c, how in idx.resolved_callers("a.A.frobnicate")] == [("b.py", "name")]
    assert idx.callers("a.A.get") == []


def test_typed_receivers_resolve_methods(tree_of) -> None:  # noqa: ANN001
    files = {
        "shop/cart.py": "class Cart:\n    def add(self, sku):\n        pass\n\nclass Wishlist:\n    def add(self, sku):\n        pass\n",
        "shop/promo.py": "from shop.cart import Cart\n\nclass PromoCart(Cart):\n    pass\n",
        "shop/views.py": (
            "from shop import cart as c\n"
            "from shop.promo import PromoCart\n"
            "\n"
            "def buy(w: 'Optional[c.Wishlist]'):\n"
            "    basket = c.Cart()\n"
            "    basket.add('x')\n"
            "    w.add('y')\n"
            "    PromoCart().add('z')\n"
            "    promo = PromoCart()\n"
            "    promo.add('q')\n"
        ),
    }
    idx = build_index(tree_of(files))
    assert [(c.line, how) for c, how in idx.resolved_callers("shop.cart.Cart.add")] == [(6, "typed"), (10, "typed")]
    assert [(c.line, how) for c, how in idx.resolved_callers("shop.cart.Wishlist.add")] == [(7, "typed")]


def test_nested_functions_are_called_from_their_parent(tree_of) -> None:  # noqa: ANN001
    files = {"m.py": "def outer():\n    def inner():\n        return 1\n    return inner()\n\ndef other():\n    return inner()\n"}
    idx = build_index(tree_of(files))
    assert lines(idx.callers("m.outer.inner")) == [("m.py", 4)]


def test_callees_and_definitions(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    assert [c.callee for c in idx.callees("app.core.Engine.start")] == ["self.spin"]
    assert [d.path for d in idx.definitions("compute")] == ["app/core.py", "other/core2.py"]
    assert idx.definition("app.core.Engine.spin").line == 13
    assert idx.definitions("app.core.nothing") == []
    assert [d.name for d in idx.definitions_in("app/core.py", [4, 14])] == ["compute", "Engine", "spin"]


def test_name_lookups_scan_headers_first_then_build_the_maps(tree_of, monkeypatch) -> None:  # noqa: ANN001
    from bot.codeindex import index as index_module  # noqa: PLC0415

    tree = tree_of(APP)
    idx = build_index(tree)
    names = sorted({n for e in idx.files.values() for n in (*e.def_names, *e.call_names, *e.ref_names)}) + ["nowhere"]
    asked = [(kind, name) for name in names for kind in ("def", "call", "ref")]
    monkeypatch.setattr(index_module, "NAME_TEXT_SCANS", 0)
    by_maps = [idx._paths_with(kind, name) for kind, name in asked]
    assert all(idx._name_lookups[kind].built for kind in ("def", "call", "ref"))
    monkeypatch.setattr(index_module, "NAME_TEXT_SCANS", len(names))
    scanning = build_index(tree)
    assert [scanning._paths_with(kind, name) for kind, name in asked] == by_maps  # same paths, same order
    assert not any(scanning._name_lookups[kind].built for kind in ("def", "call", "ref"))  # every answer a scan
    assert any(len(a) > 1 for a in by_maps)
    assert scanning._paths_with("call", "compute") == by_maps[asked.index(("call", "compute"))]  # remembered
    assert not scanning._name_lookups["call"].built
    scanning._paths_with("call", "elsewhere")
    assert scanning._name_lookups["call"].built  # past NAME_TEXT_SCANS names: the table


def test_iter_definitions_decodes_files_only_as_far_as_it_is_read(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    assert sorted(idx.iter_definitions("compute"), key=lambda d: (d.path, d.line)) == idx.definitions("compute")
    idx = build_index(tree_of(APP))
    first = next(idx.iter_definitions("compute"))
    assert first.path == "app/core.py"
    assert idx.files["other/core2.py"]._symbols is None  # the second file defining it: not decoded yet
    assert [d.path for d in idx.iter_definitions("compute", in_paths=lambda p: p.startswith("other/"))] == ["other/core2.py"]
    assert idx.files["app/core.py"]._symbols is not None


def test_references_follow_imports_and_module_attributes(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    refs = idx.references("app.core.TIMEOUT")
    assert [(r.path, r.line) for r in refs] == [("app/cli.py", 5)]
    assert [(r.path, r.line) for r in idx.importers(idx.definition("app.core.compute"))] == [
        ("app/__init__.py", 1), ("app/cli.py", 1), ("tests/test_core.py", 1),
    ]


def test_entry_points(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    names = {d.qualname for d in idx.entry_points()}
    assert {"app.core.compute", "app.cli.main", "app.web.endpoint"} <= names
    assert "app.core.helper" not in names and "tests.test_core.test_compute" not in names


def test_trace_reaches_entry_points(tree_of) -> None:  # noqa: ANN001
    files = {
        **APP,
        "app/jobs.py": "from app.core import helper\n\ndef nightly():\n    return helper(1)\n\ndef cron():\n    nightly()\n",
    }
    idx = build_index(tree_of(files))
    paths = idx.trace("app.core.helper", depth=3)
    rendered = [[s.render() for s in p] for p in paths]
    assert ["app/core.py:6 app.core.helper", "app/jobs.py:4 app.jobs.nightly", "app/jobs.py:7 app.jobs.cron"] in rendered
    assert ["app/core.py:6 app.core.helper", "app/web.py:5 app.web.endpoint"] in rendered
    short = idx.trace("app.core.helper", depth=1)
    assert all(len(p) <= 2 for p in short)
    assert idx.trace("app.core.missing") == []


def test_trace_stops_on_cycles(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of({"m.py": "def a():\n    b()\n\ndef b():\n    a()\n"}))
    assert [[s.symbol for s in p] for p in idx.trace("m.a", depth=5)] == [["m.a", "m.b", "m.a"]]


def test_reach_counts_transitive_files(tree_of) -> None:  # noqa: ANN001
    idx = build_index(tree_of(APP))
    reach = idx.reach(idx.definition("app.core.helper"))
    assert reach.call_sites == 1 and reach.files == ("app/web.py",)
    assert reach.entry_points == ("app.web.endpoint",) and reach.complete


def test_javascript_and_typescript_resolution(tree_of) -> None:  # noqa: ANN001
    files = {
        "src/util/math.ts": "export function add(a: number, b: number) { return a + b }\nexport const LIMIT = 3\n",
        "src/util/index.ts": "export function noop() {}\n",
        "src/app.ts": "import { add as plus, LIMIT } from './util/math'\nimport { noop } from './util'\nexport function run() { noop(); return plus(1, LIMIT) }\n",
        "src/legacy.js": "const m = require('./util/math')\nfunction old() { return m.add(1, 2) }\n",
        "src/other.ts": "function add(a: number) { return a }\nadd(1)\n",
    }
    idx = build_index(tree_of(files))
    assert lines(idx.callers("src/util/math.add")) == [("src/app.ts", 3), ("src/legacy.js", 2)]
    assert lines(idx.callers("src/util/index.noop")) == [("src/app.ts", 3)]
    assert [(r.path, r.line) for r in idx.references("src/util/math.LIMIT")] == [("src/app.ts", 3)]
    assert idx.is_entry_point(idx.definition("src/util/math.add"))


def test_typescript_typed_receivers(tree_of) -> None:  # noqa: ANN001
    files = {
        "src/cart.ts": "export class Cart { addItem(sku: string) {} }\nexport class Wish { addItem(sku: string) {} }\n",
        "src/use.ts": (
            "import { Cart, Wish } from './cart'\n"
            "export function buy(w: Wish | undefined) {\n"
            "  const c = new Cart()\n"
            "  c.addItem('x')\n"
            "  w.addItem('y')\n"
            "}\n"
        ),
    }
    idx = build_index(tree_of(files))
    assert [(c.line, how) for c, how in idx.resolved_callers("src/cart.Cart.addItem")] == [(4, "typed")]
    assert [(c.line, how) for c, how in idx.resolved_callers("src/cart.Wish.addItem")] == [(5, "typed")]


def test_go_resolution(tree_of) -> None:  # noqa: ANN001
    files = {
        "go.mod": "module github.com/acme/shop\n",
        "internal/store/store.go": "package store\n\nfunc Open(path string) error { return nil }\nfunc helper() { Open(\"x\") }\n",
        "cmd/shop/main.go": "package main\n\nimport \"github.com/acme/shop/internal/store\"\n\nfunc main() { store.Open(\"db\") }\n",
        "pkg/other/other.go": "package other\n\nfunc Open() {}\nfunc use() { Open() }\n",
    }
    idx = build_index(tree_of(files))
    assert lines(idx.callers("internal/store.Open")) == [("cmd/shop/main.go", 5), ("internal/store/store.go", 4)]
    assert lines(idx.callers("pkg/other.Open")) == [("pkg/other/other.go", 4)]  # main.go imports another package
    assert idx.importers(idx.definition("internal/store.Open")) == []  # Go imports packages, not names
    paths = idx.trace("internal/store.Open", depth=3)
    assert ["internal/store/store.go:3 internal/store.Open", "cmd/shop/main.go:5 cmd/shop.main"] in [
        [s.render() for s in p] for p in paths
    ]


def test_from_symbols_without_a_tree() -> None:
    from bot.codeindex import extract

    idx = CodeIndex.from_symbols([extract("python", "m.py", b"def f():\n    pass\nf()\n")])
    assert lines(idx.callers("m.f")) == [("m.py", 3)]
