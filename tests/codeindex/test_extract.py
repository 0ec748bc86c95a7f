"""Per-file extraction: definitions, signatures, call sites, imports, references (Python, JS, TS, Go)."""

from __future__ import annotations

import marshal

import pytest

from bot.codeindex import FileSymbols, Param, extract
from bot.codeindex.model import CallSite, Definition, Import

PY = b'''\
"""Module doc mentioning MAX_SIZE in prose."""
import os.path as osp, json
from .sibling import helper as h, other
from .. import parent_mod
from pkg.consts import *

MAX_SIZE = 10
GREETING = "hello"
registry = {}


@app.get("/items")
async def handler(a, b=1, /, c: int = 2, *args, d, e=3, **kw) -> int:
    # a comment naming MAX_SIZE
    return h(1, *args, key=MAX_SIZE).send(c, **kw)


class Service(Base, mixins.Logged, metaclass=Meta):
    LIMIT = 3

    def run(self, x, *, force=False):
        self._step(x, force=force or other)
        return osp.join(osp.sep, GREETING)

    def _step(self, x, force):
        def inner():
            return other(x)
        return inner()


def _private(): pass

__all__ = ["handler", "Service"]

if __name__ == "__main__":
    handler(1, d=2)
'''


def by_qual(syms: FileSymbols) -> dict:
    return {d.qualname: d for d in syms.definitions}


def test_python_definitions_and_signatures() -> None:
    syms = extract("python", "pkg/mod.py", PY)
    defs = by_qual(syms)
    assert syms.module == "pkg.mod"
    handler = defs["pkg.mod.handler"]
    assert handler.kind == "function" and handler.line == 13 and handler.end_line == 15
    assert handler.params == (
        Param("a", "positional_only", False),
        Param("b", "positional_only", True),
        Param("c", "positional", True, "int"),
        Param("args", "var_positional", False),
        Param("d", "keyword_only", False),
        Param("e", "keyword_only", True),
        Param("kw", "var_keyword", False),
    )
    assert handler.decorators == ('app.get("/items")',)
    assert handler.exported and handler.is_public
    service = defs["pkg.mod.Service"]
    assert service.kind == "class" and service.bases == ("Base", "mixins.Logged")
    run = defs["pkg.mod.Service.run"]
    assert run.kind == "method" and run.parent == "pkg.mod.Service"
    assert [p.name for p in run.params] == ["self", "x", "force"]
    assert run.params[2] == Param("force", "keyword_only", True)
    assert not defs["pkg.mod.Service._step"].is_public
    assert defs["pkg.mod.Service._step.inner"].kind == "function"
    assert not defs["pkg.mod._private"].is_public
    assert defs["pkg.mod.MAX_SIZE"].kind == "constant" and defs["pkg.mod.MAX_SIZE"].value_kind == "number"
    assert defs["pkg.mod.GREETING"].kind == "constant" and defs["pkg.mod.GREETING"].value_kind == "string"
    assert defs["pkg.mod.registry"].kind == "variable"
    assert "pkg.mod.Service.LIMIT" not in defs  # class attributes are not module constants
    assert syms.exports == ("handler", "Service")
    assert syms.has_main and not syms.errors


def test_definitions_alone_equal_a_full_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    """``extract_definitions`` reads only the definition patterns, with the same result, in every
    language (never through the whole extraction)."""
    import importlib  # noqa: PLC0415

    from bot.codeindex.extract import extract_definitions  # noqa: PLC0415

    extract_module = importlib.import_module("bot.codeindex.extract")  # the package's `extract` is the function

    broken = PY.replace(b"def _private(): pass", b"def _private(:\n    pass")
    cases = [("python", "pkg/mod.py", PY), ("python", "pkg/__init__.py", broken),
             ("typescript", "src/a.ts", b"export function f(a: number, b = 2) { return a; }\n"),
             ("javascript", "lib/app.js", JS), ("typescript", "src/app.ts", TS), ("tsx", "src/App.tsx", TS),
             ("javascript", "lib/broken.js", JS.replace(b")", b"", 1)),
             ("javascript", "lib/response.js", b"res.send = function send(body) { return this.json(body) }\n"
              b"exports.helper = (a, b = 2) => a + b\nRouter.prototype.route = function (path) { this.stack.push(path) }\n"),
             ("go", "internal/store/store.go", GO), ("go", "main.go", GO), ("go", "cmd/x/imports.go", GO_IMPORTS),
             ("go", "pkg/broken.go", GO.replace(b"{", b"", 1))]
    expected = [(extract(language, path, source).module, extract(language, path, source).definitions)
                for language, path, source in cases]

    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("a whole extraction")

    for name in ("extract_python", "extract_ecmascript", "extract_go"):
        monkeypatch.setattr(extract_module, name, whole)
    for (language, path, source), (module, definitions) in zip(cases, expected, strict=True):
        assert definitions, path
        assert extract_definitions(language, path, source) == (module, definitions), path


def test_python_calls_carry_scope_and_arguments() -> None:
    syms = extract("python", "pkg/mod.py", PY)
    calls = {(c.callee, c.line): c for c in syms.calls}
    h = calls[("h", 15)]
    assert (h.scope, h.positional, h.keywords, h.has_splat) == ("pkg.mod.handler", 1, ("key",), True)
    send = calls[("<expr>.send", 15)]
    assert send.name == "send" and send.positional == 1 and send.has_splat
    step = calls[("self._step", 22)]
    assert step.scope == "pkg.mod.Service.run" and step.keywords == ("force",)
    assert calls[("osp.join", 23)].positional == 2
    assert calls[("other", 27)].scope == "pkg.mod.Service._step.inner"
    assert calls[("inner", 28)].scope == "pkg.mod.Service._step"
    assert calls[("handler", 36)].scope == "pkg.mod"
    assert calls[("app.get", 12)].scope == "pkg.mod"  # decorators run at module level


def test_python_imports() -> None:
    imports = {(i.module, i.name, i.alias, i.level) for i in extract("python", "pkg/mod.py", PY).imports}
    assert imports == {
        ("os.path", None, "osp", 0),
        ("json", None, "json", 0),
        ("sibling", "helper", "h", 1),
        ("sibling", "other", "other", 1),
        ("", "parent_mod", "parent_mod", 2),
        ("pkg.consts", "*", "", 0),
    }


def test_python_references_skip_definitions_strings_and_comments() -> None:
    refs = extract("python", "pkg/mod.py", PY).references
    assert refs["MAX_SIZE"] == (15,)  # not line 1 (docstring), 7 (definition) or 14 (comment)
    assert refs["GREETING"] == (23,)
    assert refs["sep"] == (23,)  # an attribute of an imported module
    assert "join" not in refs  # a call: recorded as a call site instead
    assert refs["other"] == (22,)  # read as a value; the call on line 27 is a call site
    assert "LIMIT" not in refs  # only its definition


def test_python_local_constructor_assignments() -> None:
    src = b"def f(repo: 'Repo'):\n    cart = models.Cart(1)\n    n = len(cart)\n    cart.add(n)\n\nx = Thing()\n"
    syms = extract("python", "m.py", src)
    assert syms.locals == (("m.f", "cart", "models.Cart"), ("m", "x", "Thing"))
    assert by_qual(syms)["m.f"].params[0].annotation == "'Repo'"


def test_compact_form_round_trips_through_marshal() -> None:
    syms = extract("python", "pkg/mod.py", PY)
    again = FileSymbols.from_compact(syms.path, marshal.loads(marshal.dumps(syms.to_compact(), 4)))
    assert again == syms and syms.definitions and syms.calls and syms.imports
    assert all(type(d) is Definition for d in again.definitions) and all(type(c) is CallSite for c in again.calls)
    assert all(type(p) is Param for d in again.definitions for p in d.params or ())
    assert all(type(i) is Import for i in again.imports)
    assert any(d.params for d in again.definitions)


def test_python_syntax_errors_do_not_raise() -> None:
    syms = extract("python", "broken.py", b"def ok(a):\n    return a\n\ndef broken(:\n    pass\nok(1)\n")
    assert syms.errors
    assert "broken.ok" in by_qual(syms)
    assert any(c.name == "ok" for c in syms.calls)


def test_init_module_name() -> None:
    assert extract("python", "pkg/sub/__init__.py", b"X = 1\n").module == "pkg.sub"


JS = b"""\
import def1, { a as b, c } from './x';
import * as ns from "../y";
const util = require('./z');
const { p, q: qq } = require('./w');
export const LIMIT = 5, square = (n) => n * n;

export function f(a, b = 1, ...rest) { return g(1, ...rest).h(2); }

export default class C extends B {
  m(x) { this.n(LIMIT); ns.foo(ns.bar); }
  static s() { return new C(1, 2); }
}
let h2 = function (a) { b(); };
export { h2 as helper };
"""


def test_javascript_extraction() -> None:
    syms = extract("javascript", "src/a.js", JS)
    assert syms.module == "src/a"
    defs = by_qual(syms)
    assert defs["src/a.f"].params == (
        Param("a", "positional", False),
        Param("b", "positional", True),
        Param("rest", "var_positional", False),
    )
    assert defs["src/a.f"].exported
    assert defs["src/a.square"].kind == "function" and defs["src/a.square"].exported
    assert defs["src/a.LIMIT"].kind == "constant"
    assert defs["src/a.C"].bases == ("B",) and defs["src/a.C"].exported
    assert defs["src/a.C.m"].kind == "method"
    assert defs["src/a.h2"].exported  # through the export clause
    calls = {(c.callee, c.line): c for c in syms.calls}
    assert calls[("g", 7)].has_splat and calls[("g", 7)].scope == "src/a.f"
    assert calls[("this.n", 10)].scope == "src/a.C.m"
    assert calls[("ns.foo", 10)].positional == 1
    assert calls[("C", 11)].positional == 2  # new C(1, 2)
    assert ("require", 3) not in calls
    imports = {(i.module, i.name, i.alias) for i in syms.imports}
    assert imports == {
        ("./x", "default", "def1"), ("./x", "a", "b"), ("./x", "c", "c"), ("../y", None, "ns"),
        ("./z", None, "util"), ("./w", "p", "p"), ("./w", "q", "qq"),
    }
    assert syms.references["LIMIT"] == (10,)
    assert syms.references["bar"] == (10,) and "foo" not in syms.references


TS = b"""\
import type { T } from './t';
export interface Shape { area(): number }
export enum Kind { A, B }
export abstract class Base<T> implements Shape {
  constructor(private readonly id: number, label?: string, size = 2) { super(); }
  area(): number { return compute(this.id, 2); }
}
export function compute<T>(a: T, b?: number, ...more: string[]): number { return obj.m<string>(a); }
export const later = async (a: number): Promise<void> => { compute(a); };
"""


def test_typescript_extraction() -> None:
    syms = extract("typescript", "src/shapes.ts", TS)
    defs = by_qual(syms)
    assert defs["src/shapes.Shape"].kind == "class"
    assert defs["src/shapes.Kind"].kind == "class"
    assert defs["src/shapes.Base"].bases == ("Shape",)
    ctor = defs["src/shapes.Base.constructor"]
    assert ctor.params == (
        Param("id", "positional", False, "number"),
        Param("label", "positional", True, "string"),
        Param("size", "positional", True),
    )
    assert defs["src/shapes.compute"].params == (
        Param("a", "positional", False, "T"),
        Param("b", "positional", True, "number"),
        Param("more", "var_positional", False, "string[]"),
    )
    assert defs["src/shapes.later"].kind == "function"
    calls = {(c.callee, c.line): c for c in syms.calls}
    assert calls[("compute", 6)].scope == "src/shapes.Base.area"
    assert calls[("obj.m", 8)].positional == 1
    assert calls[("compute", 9)].scope == "src/shapes.later"


def test_typescript_receivers_and_annotations() -> None:
    syms = extract("typescript", "src/u.ts", b"function f(c: Cart, n = 1) { const x = new lib.Cart(); x.add(c) }\n")
    assert syms.locals == (("src/u.f", "x", "lib.Cart"),)
    assert [p.annotation for p in by_qual(syms)["src/u.f"].params] == ["Cart", ""]


def test_javascript_member_assigned_functions() -> None:
    src = (
        b"res.send = function send(body) { return this.json(body) }\n"
        b"exports.helper = (a, b = 2) => a + b\n"
        b"Router.prototype.route = function (path) { this.stack.push(path) }\n"
    )
    defs = by_qual(extract("javascript", "lib/response.js", src))
    assert defs["lib/response.send"].kind == "function" and not defs["lib/response.send"].exported
    assert defs["lib/response.helper"].exported and [p.name for p in defs["lib/response.helper"].params] == ["a", "b"]
    route = defs["lib/response.Router.route"]
    assert route.kind == "method" and route.parent == "lib/response.Router"


def test_tsx_uses_its_own_grammar() -> None:
    syms = extract("tsx", "ui/App.tsx", b"export function App(p: Props) { return <div>{render(p)}</div>; }\n")
    assert by_qual(syms)["ui/App.App"].exported
    assert [c.callee for c in syms.calls] == ["render"]


GO = b"""\
package store

import (
\t"fmt"
\tstr "strings"
\t"github.com/acme/lib/v2"
\t. "github.com/acme/dot"
)

const MaxItems = 10
const (
\tPrefix = "k:"
\tA, B = 1, 2
)

type Store struct{}

func (s *Store) Get(key string, opts ...string) (string, error) {
\treturn fmt.Sprintf("%s", key), lib.Check(opts...)
}

func New(a, b int, name string) *Store { s := &Store{}; s.Get(str.ToUpper(Prefix), lib.Version); return s }
func helper() {}
"""


def test_go_extraction() -> None:
    syms = extract("go", "internal/store/store.go", GO)
    assert syms.module == "internal/store"
    defs = by_qual(syms)
    get = defs["internal/store.Store.Get"]
    assert get.kind == "method" and get.parent == "internal/store.Store"
    assert get.params == (Param("key", "positional", False), Param("opts", "var_positional", False))
    assert [p.name for p in defs["internal/store.New"].params] == ["a", "b", "name"]
    assert defs["internal/store.New"].exported and not defs["internal/store.helper"].exported
    assert {n for n in ("MaxItems", "Prefix", "A", "B") if f"internal/store.{n}" in defs} == {"MaxItems", "Prefix", "A", "B"}
    assert defs["internal/store.Prefix"].value_kind == "string"
    assert defs["internal/store.Store"].kind == "class"
    calls = {(c.callee, c.line): c for c in syms.calls}
    assert calls[("lib.Check", 19)].has_splat
    assert calls[("s.Get", 22)].scope == "internal/store.New"
    imports = {(i.module, i.name, i.alias) for i in syms.imports}
    assert imports == {
        ("fmt", None, "fmt"), ("strings", None, "str"), ("github.com/acme/lib/v2", None, "lib"),
        ("github.com/acme/dot", "*", ""),
    }
    assert syms.references["Version"] == (22,) and "ToUpper" not in syms.references


def test_unknown_language_raises() -> None:
    with pytest.raises(ValueError, match="no symbol extractor"):
        extract("cobol", "x.cob", b"")


GO_IMPORTS = b'''\
package admin

import (
\t"google.golang.org/grpc"
\tchannelzservice "google.golang.org/grpc/channelz/service"
\tinternaladmin "google.golang.org/grpc/internal/admin"
)

func init() {
\tx := a.b(1).c(2)
\t_ = x
}
'''


def test_records_come_in_document_order_on_every_parse():
    # tree-sitter 0.26 returned these import specs in a different order on about one parse in
    # four (the order of a capture's nodes is not document order); 40 fresh parses of the same
    # source must all give the same, document-ordered lists.
    seen = set()
    for _ in range(40):
        symbols = extract("go", "admin/admin.go", GO_IMPORTS)
        seen.add((symbols.imports, symbols.calls))
        assert [i.line for i in symbols.imports] == [4, 5, 6]
        # nested calls starting at the same byte: the enclosing call first (pre-order)
        assert [c.callee for c in symbols.calls] == ["<expr>.c", "a.b"]
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("language", "path", "source"),
    [
        ("python", "m.py", b"import b\nimport a as c\nfrom x import (y,\n z)\nf(1)(2)\na.b(1).c(2)\n"),
        ("typescript", "m.ts", b"import b from 'b';\nimport {a as c} from 'a';\nconst z = require('z');\nf(1)(2);\na.b(1).c(2);\n"),
    ],
)
def test_records_are_ordered_by_position(language, path, source):
    for _ in range(10):
        symbols = extract(language, path, source)
        lines = [i.line for i in symbols.imports]
        assert lines == sorted(lines)
        calls = [(c.line, c.callee) for c in symbols.calls if c.name != "require"]
        assert calls == sorted(calls, key=lambda c: c[0]) and [c[1] for c in calls[-2:]] == ["<expr>.c", "a.b"]
