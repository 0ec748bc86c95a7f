"""The parse-once view: each file version is read once and parsed at most once per review."""

from __future__ import annotations

import threading

from tree_sitter import Node

from bot.codeindex import build_index
from bot.testing.fake_tree import MemoryTree, memory_context
from subagents import default_agents

BASE = {
    "app/__init__.py": "",
    "app/pay.py": "import os\n\n\ndef charge(order):\n    if order.total <= 0:\n        raise ValueError('empty')\n    return order.total\n",
    "web/a.ts": "export function f(x: number) { return x; }\n",
    "svc/main.go": "package svc\n\nfunc Run() error {\n\treturn nil\n}\n",
}
HEAD = {
    "app/pay.py": "import os\n\n\ndef charge(order, tags=[]):\n    os.system(order.cmd)\n    return order.total + 1\n",
    "web/a.ts": "export function f(x: any) { return x!; }\n",
    "svc/main.go": "package svc\n\nfunc Run() error {\n\t_ = f.Close()\n\treturn nil\n}\n",
}


def test_every_agent_shares_one_parse_per_file_version() -> None:
    ctx = memory_context(BASE, HEAD, title="refactor: tidy charge", body="")
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    threads = [threading.Thread(target=a.review, args=(ctx,)) for a in default_agents(None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert ctx.files.parses, "the agents parsed nothing through the shared view"
    assert max(ctx.files.parses.values()) == 1, ctx.files.parses
    assert ("head", "app/pay.py") in ctx.files.parses and ("base", "app/pay.py") in ctx.files.parses


def test_reads_are_cached_and_oversize_files_are_not_parsed() -> None:
    class Counting(MemoryTree):
        reads = 0

        def read(self, path: str) -> bytes | None:
            Counting.reads += 1
            return super().read(path)

    from bot.core.changeset import MAX_PARSE_BYTES, ChangedFiles

    big = "x = 1\n" * (MAX_PARSE_BYTES // 6 + 10)
    files = ChangedFiles(Counting({"a.py": "x = 1\n"}), Counting({"a.py": "x = 2\n", "big.py": big}))
    for _ in range(3):
        assert files.read("head", "a.py") == b"x = 2\n"
        assert files.tree("head", "a.py", "python") is not None
    assert Counting.reads == 1 and files.parses[("head", "a.py")] == 1
    assert files.tree("head", "big.py", "python") is None
    assert files.tree("base", "missing.py", "python") is None



def _shape(node: Node) -> list[tuple]:
    """Every node of a tree in document order: type, bytes, points, named/missing/error flags."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append((n.type, n.start_byte, n.end_byte, n.start_point, n.end_point, n.is_named, n.is_missing, n.has_error))
        stack.extend(reversed(n.children))
    return out


_LONG = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(60))
INCREMENTAL_CASES = {
    "middle.py": (_LONG, _LONG.replace("return x + 30\n", "y = x * 2\n    return y + 30\n")),
    "two_hunks.py": (_LONG, _LONG.replace("return x + 3\n", "return x - 3\n").replace("x + 50\n", "x + 50  # why\n")),
    "start_and_end.py": (_LONG, "import os\n" + _LONG + "print(os.sep)"),
    "no_final_newline.py": ("a = 1\nb = 2", "a = 1\nb = 3"),
    "unicode.py": ("s = 'é'\n" + _LONG, "s = 'éé'\n" + _LONG.replace("x + 7\n", "x + 'ü'\n")),
    "web/a.ts": ("export const a = 1;\n" * 40, "export const a = 1;\n" * 20 + "export let b = 2;\n" + "export const a = 1;\n" * 20),
    "svc/main.go": ("package svc\n\n" + "func A() int {\n\treturn 1\n}\n\n" * 30, "package svc\n\n" + "func A() int {\n\treturn 1\n}\n\n" * 15
                    + "func B() {}\n\n" + "func A() int {\n\treturn 1\n}\n\n" * 15),
}


def test_a_modified_files_head_tree_is_parsed_from_its_base_and_equals_a_fresh_parse() -> None:
    from bot.core import treesitter

    ctx = memory_context({p: b for p, (b, _) in INCREMENTAL_CASES.items()}, {p: h for p, (_, h) in INCREMENTAL_CASES.items()})
    for fc in ctx.diff.files:
        head = ctx.files.change_tree(fc, "head")
        fresh = treesitter.parse(fc.language, ctx.files.read("head", fc.path))
        assert head is not None and _shape(head.root_node) == _shape(fresh.root_node), fc.path
        assert ctx.files.parses[("head", fc.path)] == 1 and ctx.files.parses[("base", fc.path)] == 1


def test_line_edits_refuse_spans_that_do_not_describe_the_change() -> None:
    from bot.core.treesitter import line_edits

    old, new = b"a\nb\nc\n", b"a\nB\nc\n"
    assert line_edits(old, new, [(1, 1, 1, 1)]) is not None
    assert line_edits(old, new, []) is None  # the bytes differ outside every span
    assert line_edits(old, new, [(0, 1, 0, 1)]) is None  # the change is on another line
    assert line_edits(old, new, [(2, 5, 2, 5)]) is None  # past the end of the file
    assert line_edits(old, old, []) == []


def test_a_head_tree_with_a_syntax_error_equals_a_fresh_parse() -> None:
    from bot.core import treesitter

    base, head = _LONG, _LONG.replace("return x + 30\n", "return (x + 30\n")
    ctx = memory_context({"m.py": base}, {"m.py": head})
    tree = ctx.files.tree("head", "m.py", "python")
    fresh = treesitter.parse("python", head.encode())
    assert tree is not None and tree.root_node.has_error
    assert _shape(tree.root_node) == _shape(fresh.root_node)


def test_line_starts_are_computed_once_and_shared_with_the_incremental_parse() -> None:
    from bot.core import treesitter

    base, head = INCREMENTAL_CASES["middle.py"]
    ctx = memory_context({"m.py": base}, {"m.py": head})
    assert ctx.files.tree("head", "m.py", "python") is not None  # parsed from the base: both computed
    starts = ctx.files.line_starts("head", "m.py")
    assert starts == treesitter.line_starts(head.encode())
    assert ctx.files.line_starts("head", "m.py") is starts
    assert ctx.files.line_starts("base", "m.py") == treesitter.line_starts(base.encode())
    assert ctx.files.line_starts("base", "missing.py") is None


def test_line_edits_with_given_line_starts_equal_those_it_computes() -> None:
    from bot.core.treesitter import line_edits, line_starts

    import difflib

    for old, new in INCREMENTAL_CASES.values():
        o, n = old.encode(), new.encode()
        a, b = o.split(b"\n"), n.split(b"\n")
        spans = [(i1, i2 - i1, j1, j2 - j1)
                 for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if tag != "equal"]
        expected = line_edits(o, n, spans)
        assert expected  # the spans describe the change
        assert line_edits(o, n, spans, old_starts=line_starts(o), new_starts=line_starts(n)) == expected
