"""Remembered answers of call resolution equal freshly worked-out ones (``_imports_module_of``,
``module_name``)."""

from __future__ import annotations

from bot.codeindex import CodeIndex, extract
from bot.codeindex import _ecmascript, _python
from bot.codeindex.model import Definition

FILES = {
    "pkg/__init__.py": b"from .impl import helper\n",
    "pkg/impl.py": b"def helper(): pass\nclass K:\n    def m(self): pass\n",
    "pkg/use.py": b"import pkg.impl\nfrom pkg import impl as i\nfrom . import impl\nhelper()\n",
    "other/x.py": b"import os\nos.getcwd()\n",
    "web/a.ts": b"export function f() {}\n",
    "web/b.ts": b"import * as a from './a';\na.f();\n",
    "svc/run.go": b"package svc\n\nfunc Run() {}\n",
    "cmd/main.go": b"package main\n\nimport \"example.com/m/svc\"\n\nfunc main() { svc.Run() }\n",
}


def _index() -> CodeIndex:
    lang = {".py": "python", ".ts": "typescript", ".go": "go"}
    return CodeIndex.from_symbols(extract(lang[p[p.rindex("."):]], p, src) for p, src in FILES.items())


def test_imports_module_of_remembered_equals_worked_out() -> None:
    index = _index()
    defs: list[Definition] = [d for e in index.files.values() for d in e.symbols().definitions]
    gone = Definition("pkg/removed.py", "old", "pkg.removed.old", "function", 1, 1, (), "()", True, None, (), (), None, False)
    fresh = CodeIndex.from_symbols(e.symbols() for e in index.files.values())
    answers = []
    for entry in index.files.values():
        for d in [*defs, gone]:
            got = index._imports_module_of(entry, d)
            assert got == fresh._imports_module_of_uncached(entry, d), (entry.path, d.qualname)
            assert index._imports_module_of(entry, d) == got
            answers.append(got)
    assert True in answers and False in answers
    assert index._imports_module_of(index.files["pkg/use.py"], next(d for d in defs if d.name == "helper"))


def test_module_names_are_remembered_and_unchanged() -> None:
    for path, expected in (("pkg/sub/mod.py", "pkg.sub.mod"), ("pkg/__init__.py", "pkg"), ("a.pyi", "a")):
        assert _python.module_name(path) == expected == _python.module_name.__wrapped__(path)
    for path, expected in (("src/a/index.ts", "src/a/index"), ("x.d.ts", "x"), ("y.mjs", "y")):
        assert _ecmascript.module_name(path) == expected == _ecmascript.module_name.__wrapped__(path)
