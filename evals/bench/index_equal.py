"""Check that two versions of the code index builder give the same index: dump, then compare.

Usage::

    python evals/bench/index_equal.py dump --repo PATH --out A.pkl [--rev HEAD] [--workers N]
    python evals/bench/index_equal.py compare A.pkl B.pkl [--exact]
    python evals/bench/index_equal.py names --repo PATH A.pkl

``dump`` builds the code index of the tree at ``--rev`` cold (an empty cache in a temporary
directory) with whichever ``bot`` package is first on ``sys.path``, so the builder of another
commit is used by putting its checkout first: ``git -C /work/main archive 50a6966 | tar -x -C
/tmp/base`` then ``PYTHONPATH=/tmp/base python evals/bench/index_equal.py dump ...``. It writes
every entry (the header as stored and the decoded symbols) with the build's counts to a pickle
(our own file, read back only by ``compare``).

``compare`` compares every field of every entry. Without ``--exact``, the record lists of an
entry (definitions, call sites, imports, locals; the header's imports and class bases) are
compared as multisets: before commit 78a0021, ``QueryCursor.captures`` (tree-sitter 0.26)
returned a capture's nodes in an order that varied between parses, so the list order of an
index built by that code varies from one build to the next. Everything else, and every
record's content, is compared exactly. Exits 1 on any difference.

``names`` checks, on a dump, what the lazy index (:mod:`bot.codeindex.lazy`) rests on: every name
a query can look up (defined, called and read names, imported names, class bases' last
components) that :func:`~bot.codeindex.lazy.name_is_searchable` accepts occurs in its file's blob as the
lazy index searches it (:func:`~bot.codeindex.lazy.name_occurs`: its UTF-8 bytes, as a whole
token when it is a plain identifier), so that search finds every file that can hold its records; and every Go import
path occurs in its blob followed by a quote, a line end or the end of the file, so a regular
expression finds every file importing a package directory (the lazy index's Go callers); and the
last segment of the module every JS/TS import names occurs in its blob, or the specifier ends with
a ``.`` or ``..`` segment (the lazy index's JS/TS callers). Exits 1
when one does not.
"""

from __future__ import annotations

import argparse
import json
import pickle
import posixpath
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

_META = ("files", "parsed", "skipped", "failed", "too_large")


def plain_header(path: str, header: str | bytes) -> list[Any]:
    """A cached header as the JSON lists the builder stored up to extractor version 9 (names
    sorted), whichever format the builder under test stores (JSON text, or ``marshal`` bytes
    from version 11, read through ``FileEntry``), so that dumps of either compare field by field."""
    if isinstance(header, str):
        return json.loads(header)
    from bot.codeindex.index import FileEntry  # noqa: PLC0415 - the checkout under test

    e = FileEntry.from_row(path, "", header, None)
    return [
        e.language, e.module, [list(i) for i in e.imports], None if e.exports is None else list(e.exports), e.has_main,
        sorted(e.def_names), sorted(e.call_names), sorted(e.ref_names), e.lines, e.errors,
        [[c, list(b)] for c, b in e.class_bases],
    ]


def dump(repo: str, rev: str, out: str, workers: int | None) -> dict[str, Any]:
    """Build the index of ``repo`` at ``rev`` cold and pickle its entries to ``out``; returns the counts."""
    import bot  # noqa: PLC0415 - whichever checkout is first on sys.path
    from bot.adapters.gitlocal import CatFile, Git, GitTree  # noqa: PLC0415
    from bot.codeindex.builder import collect, decode_data  # noqa: PLC0415

    git = Git(repo)
    sha = git.rev(rev)
    if sha is None:
        raise SystemExit(f"index_equal: {rev!r} is not a commit in {repo}")
    cat = CatFile(repo)
    try:
        with tempfile.TemporaryDirectory(prefix="quorum-index-equal-") as tmp:
            rows, stats = collect(GitTree(git, cat, sha), Path(tmp), workers=workers)
    finally:
        cat.close()
    entries = {}
    for path, blob, language, header, data in rows:
        symbols = decode_data(path, data)._asdict()
        symbols["references"] = sorted(symbols["references"].items())
        entries[path] = {"blob": blob, "language": language, "header": plain_header(path, header), "symbols": symbols}
    meta = {
        "bot": bot.__file__, "head": sha, "files": stats.files, "parsed": stats.parsed, "skipped": stats.skipped,
        "failed": dict(stats.failed), "too_large": sorted(stats.too_large), "mode": stats.mode,
    }
    with open(out, "wb") as fh:
        pickle.dump({"meta": meta, "entries": entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {k: v for k, v in meta.items() if k != "too_large"}


def compare(a_path: str, b_path: str, *, exact: bool) -> tuple[int, dict[str, int]]:
    """Compare two dumps; returns (differences, counts). Prints the first differences."""
    with open(a_path, "rb") as fh:
        a = pickle.load(fh)  # noqa: S301 - our own dump files
    with open(b_path, "rb") as fh:
        b = pickle.load(fh)  # noqa: S301

    def norm(value: Any) -> Any:
        return value if exact or not isinstance(value, (list, tuple)) else sorted(value, key=repr)

    diffs = 0

    def report(*what: object) -> None:
        nonlocal diffs
        diffs += 1
        if diffs <= 20:
            print("differs:", *what)

    for key in _META:
        if a["meta"][key] != b["meta"][key]:
            report("build", key, a["meta"][key], b["meta"][key])
    ea, eb = a["entries"], b["entries"]
    for path in sorted(set(ea) ^ set(eb)):
        report("only in one:", path)
    fields = order_only = 0
    for path in sorted(set(ea) & set(eb)):
        x, y = ea[path], eb[path]
        pairs = [("blob", x["blob"], y["blob"]), ("language", x["language"], y["language"])]
        if len(x["header"]) != len(y["header"]):
            report(path, "header length")
        pairs += [(f"header[{i}]", u, v) for i, (u, v) in enumerate(zip(x["header"], y["header"]))]
        if set(x["symbols"]) != set(y["symbols"]):
            report(path, "symbol fields")
        pairs += [(f"symbols.{k}", x["symbols"][k], y["symbols"].get(k)) for k in x["symbols"]]
        for key, u, v in pairs:
            fields += 1
            if norm(u) != norm(v):
                report(path, key)
            elif u != v:
                order_only += 1
    counts = {
        "files": len(ea),
        "definitions": sum(len(e["symbols"]["definitions"]) for e in ea.values()),
        "call_sites": sum(len(e["symbols"]["calls"]) for e in ea.values()),
        "imports": sum(len(e["symbols"]["imports"]) for e in ea.values()),
        "referenced_names": sum(len(e["symbols"]["references"]) for e in ea.values()),
        "fields_compared": fields,
        "differences": diffs,
        "equal_up_to_list_order": order_only,
    }
    return diffs, counts


def names(repo: str, dump_path: str) -> tuple[int, dict[str, int]]:
    """Check the byte-search premise of the lazy index on every entry of a dump; returns
    (violations, counts) and prints the first violations."""
    from bot.adapters.gitlocal import CatFile  # noqa: PLC0415
    from bot.codeindex._ecmascript import module_name as js_module_name  # noqa: PLC0415
    from bot.codeindex.lazy import _JS_DOT_SEGMENT, name_is_searchable, name_occurs  # noqa: PLC0415

    with open(dump_path, "rb") as fh:
        entries = pickle.load(fh)["entries"]  # noqa: S301 - our own dump file
    cat = CatFile(repo)
    checked = unsearchable = bad = go_imports = js_imports = 0
    try:
        for path, e in sorted(entries.items()):
            got = cat.read(e["blob"])
            source = got[1] if got else b""
            h = e["header"]
            keys = {*h[5], *h[6], *h[7], *(i[1] for i in h[2]), *(b for _cls, bases in h[10] for b in bases)}
            if h[0] != "go":  # import aliases (a file's ``mentions``), which Go derives from the path
                keys.update(i[2] for i in h[2] if i[2])
            for name in keys:
                if name is None or name == "*":
                    continue
                if not name_is_searchable(name):
                    unsearchable += 1
                    continue
                checked += 1
                if not name_occurs(source, name, h[0]):
                    bad += 1
                    if bad <= 20:
                        print("not in its source:", path, repr(name))
            if h[0] in ("javascript", "typescript", "tsx"):
                for imp in h[2]:  # JS/TS callers' scope: the module an import names is findable in the bytes
                    spec = imp[0]
                    module = js_module_name(posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))) if spec.startswith(".") else spec
                    last = posixpath.basename(module)
                    js_imports += 1
                    if last and not (_JS_DOT_SEGMENT.search(source) or name_occurs(source, last, h[0])):
                        bad += 1
                        if bad <= 20:
                            print("JS/TS import's module not findable in its source:", path, repr(spec))
            if h[0] != "go":
                continue
            for imp in h[2]:  # Go callers' scope: an import path's bytes end at a quote, a line end or EOF
                module = imp[0]
                go_imports += 1
                if "\ufffd" in module or not re.search(re.escape(module.encode("utf-8")) + rb'(?:["`\r\n]|\Z)', source):
                    bad += 1
                    if bad <= 20:
                        print("Go import path not in its source as written:", path, repr(module))
    finally:
        cat.close()
    return bad, {"files": len(entries), "names_checked": checked, "unsearchable": unsearchable, "go_imports_checked": go_imports, "js_imports_checked": js_imports,
                 "violations": bad}


def main(argv: list[str] | None = None) -> int:
    """Run ``dump`` or ``compare``; returns the exit status (1 when the dumps differ)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="build the index cold and write its entries")
    d.add_argument("--repo", required=True)
    d.add_argument("--rev", default="HEAD")
    d.add_argument("--out", required=True)
    d.add_argument("--workers", type=int, default=None, help="parser processes (default: the builder's)")
    c = sub.add_parser("compare", help="compare two dumps entry by entry")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--exact", action="store_true", help="compare record lists in order too")
    n = sub.add_parser("names", help="check that every searchable name occurs in its file's bytes")
    n.add_argument("--repo", required=True)
    n.add_argument("dump")
    args = parser.parse_args(argv)
    if args.command == "dump":
        print(json.dumps(dump(str(Path(args.repo).resolve()), args.rev, args.out, args.workers)))
        return 0
    if args.command == "names":
        bad, counts = names(str(Path(args.repo).resolve()), args.dump)
        print(json.dumps({"dump": args.dump, **counts}))
        return 1 if bad else 0
    diffs, counts = compare(args.a, args.b, exact=args.exact)
    print(json.dumps({"a": args.a, "b": args.b, "exact": args.exact, **counts}))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
