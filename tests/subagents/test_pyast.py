"""subagents._pyast: ``ast`` trees holding only the definitions a change touches, line numbers kept,
and the same findings as the whole files' trees."""

from __future__ import annotations

import ast
import difflib

from bot.core import treesitter
from bot.core.diff import FileChange, parse_diff
from subagents import _pyast, logic_calls
from subagents.checks.logic import conditions, contracts, dataflow, dropped, slips


def change(base: str, head: str, path: str = "app/m.py") -> FileChange:
    lines = list(difflib.unified_diff(base.splitlines(True), head.splitlines(True), n=3))[2:]
    text = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + "".join(lines)
    return parse_diff(text).files[0]


def touched(base: str, head: str) -> tuple[ast.Module, ast.Module]:
    fc = change(base, head)
    trees = _pyast.touched_trees(
        base, head, treesitter.parse("python", base.encode()), treesitter.parse("python", head.encode()),
        removed=[ln.old_lineno for ln in fc.removed_lines() if ln.old_lineno],
        added=[ln.new_lineno for ln in fc.added_lines() if ln.new_lineno],
    )
    assert isinstance(trees[0], ast.Module) and isinstance(trees[1], ast.Module)
    return trees[0], trees[1]


def names(tree: ast.Module) -> list[str]:
    return [getattr(s, "name", type(s).__name__) for s in tree.body]


def findings(base: str, head: str, trees: tuple[ast.AST | None, ast.AST | None]) -> list[object]:
    """Every check that reads the trees, on one file change."""
    fc = change(base, head)
    parsed = logic_calls.Parsed(base, head, lambda: trees)
    b, h = trees
    assert b is not None and h is not None
    return [
        logic_calls.check_dropped_arguments(fc, base, head, parsed), logic_calls.check_dropped_clauses(fc, base, head, parsed),
        logic_calls.check_removed_branches(fc, base, head, parsed), dropped.removed_literal_elements(fc, base, head, set(), lambda: b),
        slips.removed_defaults(fc, base, head, lambda: trees), contracts.changed_raises(fc, b, h),
        contracts.changed_parameter_kinds(fc, b, h), dataflow.unused_variables(fc, b, h), conditions.dropped_conditions(fc, b, h),
    ]


FILLER = "".join(f"def helper_{i}(x):\n    if x and x > {i}:\n        raise ValueError('x')\n    return x\n\n\n" for i in range(5))
BASE = (
    "import os\n\n\n" + FILLER
    + "class Model:\n    '''A model.'''\n\n    limit = 3\n\n"
    + "    def check(self, a, b, c=1):\n        if (a and\n                b):\n            g(a, key=1)\n"
    + "        if a or b:\n            raise ValueError('bad')\n        return a\n\n"
    + "    def other(self):\n        return 2\n\n\n" + FILLER.replace("helper_", "tail_")
)
HEAD = BASE.replace("    def check(self, a, b, c=1):\n        if (a and\n                b):\n            g(a, key=1)\n"
                    "        if a or b:\n            raise ValueError('bad')\n",
                    "    def check(self, a, b, c):\n        g(a)\n        if a:\n            raise TypeError('bad')\n")


def test_a_change_inside_one_method_keeps_that_method_and_its_class_own_code_only() -> None:
    base, head = touched(BASE, HEAD)
    assert names(base) == names(head) == ["Model"]
    for tree, text in ((base, BASE), (head, HEAD)):
        model = tree.body[0]
        assert isinstance(model, ast.ClassDef)
        assert [type(s).__name__ for s in model.body] == ["Expr", "Assign", "FunctionDef"]  # docstring, limit, check
        assert model.body[2].name == "check"  # type: ignore[attr-defined]
        whole = next(s for s in ast.parse(text).body if getattr(s, "name", "") == "Model")
        check = next(s for s in whole.body if getattr(s, "name", "") == "check")  # type: ignore[attr-defined]
        assert ast.dump(model.body[2], include_attributes=True) == ast.dump(check, include_attributes=True)


def test_the_checks_find_the_same_on_the_touched_trees_as_on_the_whole_files() -> None:
    whole = (_pyast.parse(BASE), _pyast.parse(HEAD))
    got = findings(BASE, HEAD, touched(BASE, HEAD))
    assert got == findings(BASE, HEAD, whole)
    assert sum(len(hits) for hits in got) >= 4  # dropped argument, raise, parameter default, condition


def test_module_level_code_keeps_every_module_level_statement_and_the_definitions_it_may_make() -> None:
    base = "import os\nX = 1\n\nif os.name:\n    def f():\n        return 1\n\n\ndef f():\n    return 2\n\n\ndef g():\n    return 3\n"
    head = base.replace("X = 1", "X = 2")
    tree, _ = touched(base, head)
    assert names(tree) == ["Import", "Assign", "If", "f"]


def test_a_statement_that_may_define_a_kept_name_makes_the_whole_file_parsed() -> None:
    base = "try:\n    from c import f\nexcept ImportError:\n    def f(a=1):\n        return a\n\n\ndef g():\n    return 1\n\n\ndef f(a=1):\n    return a\n"
    head = base[: base.rindex("def f(a=1)")] + "def f(a):\n    return a\n"
    tree, _ = touched(base, head)
    assert names(tree) == ["Try", "g", "f"]


def test_namesakes_on_either_side_are_kept() -> None:
    base = "def f():\n    return 1\n\n\ndef g():\n    return 2\n\n\ndef f():\n    return 3\n"
    head = base.replace("return 3", "return 4")
    tree, _ = touched(base, head)
    assert names(tree) == ["f", "f"]


def test_whole_files_when_the_trees_cannot_be_trusted() -> None:
    base, head = "def f():\n    return 1\n\n\ndef g():\n    return 2\n", "def f():\n    return 1\n\n\ndef g():\n    return 3\n"
    lines = {"removed": [6], "added": [6]}
    b, h = treesitter.parse("python", base.encode()), treesitter.parse("python", head.encode())
    assert names(_pyast.touched_trees(base, head, b, h, **lines)[0]) == ["g"]  # type: ignore[arg-type]
    assert names(_pyast.touched_trees(base, head, None, h, **lines)[0]) == ["f", "g"]  # type: ignore[arg-type]
    crlf = base.replace("\n", "\r\n")
    assert names(_pyast.touched_trees(crlf, head, treesitter.parse("python", crlf.encode()), h, **lines)[0]) == ["f", "g"]  # type: ignore[arg-type]
    broken = base + "def (:\n"
    assert _pyast.touched_trees(broken, head, treesitter.parse("python", broken.encode()), h, **lines)[0] is None
    one_line = "class C: pass\n\n\ndef g():\n    return 2\n"
    assert names(_pyast.touched_trees(one_line, head, treesitter.parse("python", one_line.encode()), h, **lines)[0]) == ["g"]  # type: ignore[arg-type]


def test_syntax_of_other_python_versions_makes_the_whole_file_parsed() -> None:
    """tree-sitter accepts PEP 695 generics and Python 2's print statement; this Python may not:
    such a file is parsed whole, so it stays rejected as a whole when it does not parse."""
    head = "def f():\n    return 1\n\n\ndef g():\n    return 3\n"
    for other in ("def h[T](x: T) -> T:\n    return x\n", "def h():\n    print 'x'\n"):
        base = head.replace("return 3", "return 2") + "\n\n" + other
        h = treesitter.parse("python", head.encode())
        got = _pyast.touched_trees(base, head, treesitter.parse("python", base.encode()), h, removed=[6], added=[6])
        assert got[0] is _pyast.parse(base) or ast.dump(got[0]) == ast.dump(_pyast.parse(base))  # type: ignore[arg-type]


def test_outside_functions_tells_module_and_class_code_from_function_bodies() -> None:
    text = ("import os\n\nif os.name:\n    X = 1\n\n\nclass C:\n    if X:\n        y = 2\n\n    def m(self):\n"
            "        if self:\n            return 1\n\n\ndef f():\n    if os:\n        return 2\n")
    tree = treesitter.parse("python", text.encode())
    assert _pyast.outside_functions(tree, [3]) and _pyast.outside_functions(tree, [8])
    assert not _pyast.outside_functions(tree, [12, 17, 2])
    assert _pyast.outside_functions(None, [17])


def test_a_docstring_that_mentions_a_class_does_not_keep_the_whole_class() -> None:
    """Only compound statements can define a method; a docstring saying "the class for ..." keeps
    the class's own code, not its untouched methods."""
    doc = "    '''The class for models: def check is it.'''"
    base, head = BASE.replace("    '''A model.'''", doc), HEAD.replace("    '''A model.'''", doc)
    b, h = touched(base, head)
    for tree in (b, h):
        model = tree.body[0]
        assert isinstance(model, ast.ClassDef)
        assert [getattr(s, "name", type(s).__name__) for s in model.body] == ["Expr", "Assign", "check"]
    assert findings(base, head, (b, h)) == findings(base, head, (_pyast.parse(base), _pyast.parse(head)))


def test_a_change_to_class_code_keeps_the_class_code_not_its_untouched_methods() -> None:
    head = HEAD.replace("    limit = 3\n", "    limit = 4\n")
    b, h = touched(BASE, head)
    assert [getattr(s, "name", type(s).__name__) for s in b.body[0].body] == ["Expr", "Assign", "check"]  # type: ignore[attr-defined]
    only_code = touched(BASE, BASE.replace("    limit = 3\n", "    limit = 4\n"))
    for tree in only_code:
        assert names(tree) == ["Model"]
        assert [type(s).__name__ for s in tree.body[0].body] == ["Expr", "Assign"]  # type: ignore[attr-defined]
    assert findings(BASE, head, (b, h)) == findings(BASE, head, (_pyast.parse(BASE), _pyast.parse(head)))


COND = "    if TYPE_CHECKING:\n        def other(self):\n            return 3\n    else:\n        def spare(self):\n            return 4\n\n"


def test_methods_under_if_keep_their_namesakes_not_the_whole_class() -> None:
    """A class body statement that may define a method (``if TYPE_CHECKING: def other``) is the
    class's own code: kept, with every method of a name it may define (``other``, wherever it is);
    the class's other untouched methods are blanked out, and the checks find what they find on the
    whole files."""
    base = BASE.replace("    limit = 3\n\n", "    limit = 3\n\n" + COND)
    head = HEAD.replace("    limit = 3\n\n", "    limit = 3\n\n" + COND)
    b, h = touched(base + "    def lone(self):\n        return 5\n", head + "    def lone(self):\n        return 5\n")
    for tree in (b, h):
        model = next(s for s in tree.body if getattr(s, "name", "") == "Model")
        assert [getattr(s, "name", type(s).__name__) for s in model.body] == ["Expr", "Assign", "If", "check", "other"]  # type: ignore[attr-defined]
    assert findings(base, head, (b, h)) == findings(base, head, (_pyast.parse(base), _pyast.parse(head)))


def test_a_method_moved_out_of_if_keeps_its_untouched_namesake() -> None:
    """A touched method under ``if`` (base) and its namesake outside it (head, untouched): both kept."""
    base = BASE.replace("    limit = 3\n\n", "    limit = 3\n\n    if FLAG:\n        def other(self):\n            return 1\n\n")
    head = base.replace("            return 1\n\n", "            return 2\n\n", 1)
    b, h = touched(base, head)
    for tree in (b, h):
        model = next(s for s in tree.body if getattr(s, "name", "") == "Model")
        assert "other" in [getattr(s, "name", "") for s in model.body]  # type: ignore[attr-defined]
        assert "check" not in [getattr(s, "name", "") for s in model.body]  # type: ignore[attr-defined]
    moved = base.replace("    if FLAG:\n        def other(self):\n            return 1\n\n", "    if FLAG:\n        pass\n\n")
    b, h = touched(base, moved)
    model = next(s for s in h.body if getattr(s, "name", "") == "Model")
    assert [getattr(s, "name", type(s).__name__) for s in model.body] == ["Expr", "Assign", "If", "other"]  # type: ignore[attr-defined]
    assert findings(base, moved, (b, h)) == findings(base, moved, (_pyast.parse(base), _pyast.parse(moved)))


def test_touched_is_a_search_of_the_sorted_rows() -> None:
    source = "".join(f"class C{i}:\n    a = 1\n\n    def m(self):\n        return 1\n\n\n" for i in range(30)).encode()
    root = treesitter.parse("python", source).root_node
    members = [m for m in root.children if m.type != "comment"]
    for rows in ({0}, {3, 200}, {6}, set(range(50, 60)), set(), {209}, {10_000}):
        ordered = sorted(rows)
        for m in members:
            assert _pyast._touched(m, ordered) is any(r in rows for r in range(m.start_point[0], m.end_point[0] + 1))


def test_blanked_keeps_the_rows_asked_for() -> None:
    text = "\n".join(f"line {i}" for i in range(12)) + "\n"
    for keep in ([], [range(0, 2)], [range(3, 5), range(4, 8)], [range(10, 20)], [range(13, 15)]):
        wanted = {r for rows in keep for r in rows}
        want = "\n".join(line if i in wanted else "" for i, line in enumerate(text.split("\n")))
        assert _pyast._blanked(text, keep) == want
