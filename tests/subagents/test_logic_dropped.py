"""subagents.checks.logic.dropped and .slips: removed statements and items, copy-paste field slips, lost regex
escapes, removed defaults, walrus precedence, removed conditional blocks (brace languages)."""

from __future__ import annotations

import difflib

from bot.core.diff import FileChange, parse_diff
from subagents._hunks import file_blocks
from subagents.checks.logic import _lines, dropped, slips


def change(base: str, head: str, path: str = "app/m.py") -> FileChange:
    lines = list(difflib.unified_diff(base.splitlines(True), head.splitlines(True), n=3))[2:]
    text = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + "".join(lines)
    return parse_diff(text).files[0]


def added(fc: FileChange) -> set[str]:
    return {_lines.norm(ln.text) for ln in fc.added_lines() if _lines.code(ln.text)}


def spots(findings: list) -> list[tuple[str, int]]:
    return [(f.rule_id, f.line) for f in findings]


def statements(base: str, head: str, path: str = "app/m.py") -> list[tuple[str, int]]:
    fc = change(base, head, path)
    return spots(dropped.removed_statements(fc, file_blocks(fc), head, added(fc)))


RUST = """fn validate(state: &mut State, field: &Field) {
    match field.default() {
        Ok(None) => {
            state.has_field_error = true;
            let error_type = Missing;
            errors.push(error_type);
        }
    }
}

fn has_error(state: &State) -> bool {
    state.has_field_error
}
"""


def test_a_deleted_flag_assignment_is_reported_after_the_gap() -> None:
    head = RUST.replace("            state.has_field_error = true;\n", "")
    assert statements(RUST, head, "src/v.rs") == [("logic/removed-statement", 4)]


def test_a_deleted_call_is_reported_but_not_logging_or_a_moved_or_replaced_statement() -> None:
    base = "def send(self, request):\n    self._set_timeout(request)\n    logger.debug('x')\n    return self.go(request)\n"
    call_gone = base.replace("    self._set_timeout(request)\n", "")
    assert statements(base, call_gone) == [("logic/removed-statement", 2)]
    log_gone = base.replace("    logger.debug('x')\n", "")
    assert statements(base, log_gone) == []
    replaced = base.replace("    self._set_timeout(request)\n", "    self._set_timeouts(request)\n")
    assert statements(base, replaced) == []
    moved = "def send(self, request):\n    logger.debug('x')\n    self._set_timeout(request)\n    return self.go(request)\n"
    assert statements(base, moved) == []


def test_a_deleted_assignment_to_a_name_the_head_no_longer_uses_is_a_cleanup() -> None:
    base = "def f(x):\n    unused = x + 1\n    return x\n"
    assert statements(base, "def f(x):\n    return x\n") == []


def test_a_deleted_attribute_assignment_on_an_object_still_used() -> None:
    base = ("def worker(stdin):\n    sys.stdin = open(os.devnull)\n    sys.stderr = open(os.devnull, 'w')\n"
            "    return sys.stdin\n")
    assert statements(base, base.replace("    sys.stderr = open(os.devnull, 'w')\n", "")) == [("logic/removed-statement", 3)]
    base = "def write(self, record):\n    record.levelname = 'x'\n    self.cache = {}\n    self.handle(record)\n"
    assert statements(base, base.replace("    record.levelname = 'x'\n", "")) == [("logic/removed-statement", 2)]
    # an attribute of self that nothing reads any more is a clean-up
    assert statements(base, base.replace("    self.cache = {}\n", "")) == []


def test_larger_deletions_and_control_flow_are_not_removed_statements() -> None:
    base = "def f(x):\n    a = 1\n    b = 2\n    c = 3\n    d = 4\n    return a + b + c + d + x\n"
    head = "def f(x):\n    return a + b + c + d + x\n"
    assert statements(base, head) == []
    base = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    assert statements(base, "def f(x):\n    return 2\n") == []


def test_module_level_statements_are_not_reported() -> None:
    base = "setup()\nX = 1\n\n\ndef f():\n    return X\n"
    assert statements(base, "X = 1\n\n\ndef f():\n    return X\n") == []


def items(base: str, head: str, path: str = "app/m.py") -> list[tuple[str, int]]:
    fc = change(base, head, path)
    found = dropped.removed_items(fc, file_blocks(fc), added(fc))
    if path.endswith(".py"):
        found += dropped.removed_literal_elements(fc, base, head, added(fc))
    return spots(found)


def test_items_deleted_from_a_bracketed_list() -> None:
    assert dropped._deleted_items("x = [a, b.c(d), e]", "x = [a, e]") == ["b.c(d)"]
    assert dropped._deleted_items("m!(T { class, lookup, missing });", "m!(T { class, missing });") == ["lookup"]
    assert dropped._deleted_items("f(a, b, c)", "f(a, c, b)") == []  # reordered
    assert dropped._deleted_items("a, b = pair", "a = pair") == []  # not inside brackets
    assert dropped._deleted_items("f(a, b)", "f(a, x)") == []
    base = "def h(ha1, nonce, ha2):\n    parts = [ha1, nonce, ha2]\n    return parts\n"
    assert items(base, base.replace("[ha1, nonce, ha2]", "[nonce, ha2]")) == [("logic/removed-item", 2)]


def test_imports_signatures_and_moved_items_are_not_removed_items() -> None:
    base = "from x import (a, b, c)\n\n\ndef f(a, b, c):\n    return g(a, b)\n"
    head = "from x import (a, c)\n\n\ndef f(a, c):\n    return g(a, b)\n"
    assert items(base, head) == []
    base = "def f(a, b):\n    g(a, b)\n    return h(a)\n"
    head = "def f(a, b):\n    g(a)\n    b\n    return h(a)\n"
    assert items(base, head) == []  # the item reappears on a line of its own


def test_whole_literal_entries_removed_from_a_literal_that_stays() -> None:
    base = "ALLOWED = {\n    list: list,\n    typing.Sequence: list,\n    set: set,\n}\n"
    head = "ALLOWED = {\n    list: list,\n    set: set,\n}\n"
    assert items(base, head) == [("logic/removed-item", 3)]
    gone = "ALLOWED = {}\n"
    assert items(base, gone) == []  # the literal itself was rewritten
    exported = "__all__ = [\n    'a',\n    'b',\n]\n"
    assert items(exported, "__all__ = [\n    'a',\n]\n") == []


def fields(base: str, head: str, path: str = "app/m.py") -> list[tuple[str, int]]:
    return spots(slips.mismatched_fields(change(base, head, path), head))


FIELDS = """SerializationInfo {
    exclude_defaults: extra.exclude_defaults,
    exclude_none: extra.exclude_none,
    exclude_computed_fields: extra.exclude_computed_fields,
    round_trip: extra.round_trip,
}
"""


def test_a_field_set_from_a_neighbours_attribute_is_a_copy_paste_slip() -> None:
    head = FIELDS.replace("exclude_computed_fields: extra.exclude_computed_fields", "exclude_computed_fields: extra.exclude_none")
    assert fields(FIELDS, head, "src/f.rs") == [("logic/mismatched-field", 4)]


def test_a_differently_named_attribute_that_is_no_neighbours_key_is_fine() -> None:
    head = FIELDS.replace("round_trip: extra.round_trip", "round_trip: extra.roundtrip_mode")
    assert fields(FIELDS, head, "src/f.rs") == []
    lone = "def f(o):\n    return g(width=o.height)\n"
    assert fields("def f(o):\n    return g(width=o.width)\n", lone) == []


def regexes(base: str, head: str) -> list[tuple[str, int]]:
    fc = change(base, head)
    return spots(slips.unescaped_regexes(fc, file_blocks(fc)))


def test_a_regex_that_lost_its_escapes() -> None:
    base = 'IPV4 = re.compile(r"^[0-9]+\\.[0-9]+$")\n'
    head = 'IPV4 = re.compile(r"^[0-9]+.[0-9]+$")\n'
    found = regexes(base, head)
    assert found == [("logic/unescaped-regex", 1)]


def test_other_backslash_changes_are_not_lost_escapes() -> None:
    assert regexes('W = re.compile(r"\\w+")\n', 'W = re.compile(r"w+")\n') == []  # \w is a class, not a metacharacter
    assert regexes('p = "a\\.b"\n', 'p = "a.b"\n') == []  # no regular expression on the line
    assert regexes('X = re.compile(r"a\\.b")\n', 'X = re.compile(r"a\\.c")\n') == []


def defaults(base: str, head: str) -> list[tuple[str, int]]:
    return spots(slips.removed_defaults(change(base, head), base, head))


def test_a_parameter_that_lost_its_default() -> None:
    base = "class A:\n    def __init__(self, file=None, *, strict=False):\n        pass\n"
    head = "class A:\n    def __init__(self, file, *, strict):\n        pass\n"
    assert defaults(base, head) == [("logic/removed-default", 2), ("logic/removed-default", 2)]


def test_changed_or_kept_defaults_and_removed_parameters_are_not_removed_defaults() -> None:
    base = "def f(a, b=1, c=2):\n    return a\n"
    assert defaults(base, "def f(a, b=3, c=2):\n    return a\n") == [("logic/changed-default", 1)]
    assert defaults(base, "def f(a, c=2):\n    return a\n") == []
    overload = "@overload\ndef f(a, b=1):\n    ...\n"
    assert defaults(overload, "@overload\ndef f(a, b):\n    ...\n") == []


def walrus(head: str) -> list[tuple[str, int]]:
    return spots(slips.walrus_precedence(change("", head)))


def test_walrus_precedence() -> None:
    assert walrus("if kind := schema['type'] not in ('a', 'b'):\n    pass\n") == [("logic/walrus-precedence", 1)]
    assert walrus("while n := len(f(x)) > 3:\n    pass\n") == [("logic/walrus-precedence", 1)]
    assert walrus("if (kind := schema['type']) not in ('a', 'b'):\n    pass\n") == []
    assert walrus("if m := pattern.match(text):\n    pass\n") == []
    assert walrus("if m := find(x, key=lambda k: k in ok):\n    pass\n") == []


def conditionals(base: str, head: str, path: str = "src/t.rs") -> list[tuple[str, int]]:
    fc = change(base, head, path)
    return spots(dropped.removed_conditionals(fc, file_blocks(fc), added(fc)))


TUPLE = """fn serialize(&self, n_items: usize) {
    use_serializers!(self.serializers.iter());
    if n_items < self.serializers.len() {
        state
            .warnings
            .register_warning("too few items");
    }
    let mut warned = false;
}
"""


def test_a_deleted_if_block_in_a_brace_language() -> None:
    head = TUPLE.replace(TUPLE[TUPLE.index("    if n_items"):TUPLE.index("    let mut")], "")
    assert conditionals(TUPLE, head) == [("logic/removed-conditional", 3)]


def test_deleted_guards_if_else_chains_and_moved_blocks_are_not_removed_conditionals() -> None:
    guard = "func f() error {\n\tx := g()\n\tif err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}\n"
    assert conditionals(guard, "func f() error {\n\tx := g()\n\treturn nil\n}\n", "a/f.go") == []
    chain = "function f(a) {\n  if (a) {\n    g();\n  } else {\n    h();\n  }\n  return 1;\n}\n"
    assert conditionals(chain, "function f(a) {\n  return 1;\n}\n", "a/f.js") == []
    moved = TUPLE.replace("    if n_items", "    if n_items")  # identical: no change at all
    assert conditionals(TUPLE, moved) == []


def test_a_changed_default_but_not_a_respelled_one() -> None:
    base = "def head(url, allow_redirects=True, mode='r'):\n    return url\n"
    found = defaults(base, "def head(url, allow_redirects=False, mode=\"r\"):\n    return url\n")
    assert found == [("logic/changed-default", 1)]
    assert defaults(base, "def head(url, allow_redirects=True, mode=\"r\"):\n    return url\n") == []


def narrowed(base: str, head: str) -> list[tuple[str, int]]:
    fc = change(base, head)
    return spots(slips.narrowed_type_checks(fc, file_blocks(fc)))


def test_a_type_check_that_accepts_fewer_types() -> None:
    base = "def f(c, h):\n    if isinstance(c, (bytes, str)) or issubclass(h, Mapping):\n        return 1\n"
    assert narrowed(base, base.replace("(bytes, str)", "bytes")) == [("logic/narrowed-type-check", 2)]
    assert narrowed(base, base.replace("issubclass(h, Mapping)", "issubclass(h, dict)")) == [("logic/narrowed-type-check", 2)]


def test_widened_or_retargeted_type_checks_are_not_narrowed() -> None:
    base = "def f(c):\n    if isinstance(c, bytes):\n        return 1\n"
    assert narrowed(base, base.replace("bytes", "(bytes, str)")) == []
    assert narrowed(base, base.replace("isinstance(c, bytes)", "isinstance(d, str)")) == []
    assert narrowed(base, base.replace("bytes", "str")) == []  # a different type, not a narrower one


def fallbacks(base: str, head: str) -> list[tuple[str, int]]:
    fc = change(base, head)
    return spots(slips.dropped_fallbacks(fc, file_blocks(fc)))


def test_a_dropped_fallback() -> None:
    base = "def same(a, b):\n    return (a.extra or {}) == (b.extra or {})\n"
    assert fallbacks(base, "def same(a, b):\n    return a.extra == b.extra\n") == [("logic/dropped-fallback", 2)]
    js = "function f(o) {\n  return o.names || [];\n}\n"
    fc = change(js, js.replace(" || []", ""), "src/f.js")
    assert spots(slips.dropped_fallbacks(fc, file_blocks(fc))) == [("logic/dropped-fallback", 2)]


def test_a_changed_fallback_or_a_dropped_condition_operand_is_not_a_dropped_fallback() -> None:
    base = "def f(a, b):\n    if a or b:\n        return a or []\n"
    assert fallbacks(base, base.replace("a or []", "a or ()")) == []
    assert fallbacks(base, base.replace("if a or b:", "if a:")) == []
    assert fallbacks(base, base.replace("return a or []", "return list(a)")) == []


def accessors(base: str, head: str) -> list[tuple[str, int]]:
    fc = change(base, head)
    return spots(slips.swapped_accessors(fc, file_blocks(fc)))


def test_swapped_accessors() -> None:
    base = "def f(m):\n    return set(m.values())\n"
    assert accessors(base, base.replace("values", "keys")) == [("logic/swapped-accessor", 2)]
    assert accessors(base, base.replace("m.values", "n.keys")) == []  # another object too
    assert accessors(base, base.replace("values", "copy")) == []
