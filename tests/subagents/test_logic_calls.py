"""subagents.logic_calls: dropped arguments, unwrapped values, lost f-strings, multi-line dropped clauses."""

from __future__ import annotations

import difflib

from bot.core.diff import FileChange, parse_diff
from subagents import logic_calls


def change(base: str, head: str, path: str = "app/m.py") -> FileChange:
    lines = list(difflib.unified_diff(base.splitlines(True), head.splitlines(True), n=3))[2:]
    text = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + "".join(lines)
    return parse_diff(text).files[0]


def rules(hits: list) -> list[tuple[str, int]]:  # noqa: ANN001
    return [(h.rule, h.line) for h in hits]


CALL = "def parse(value):\n    return parse_qs(\n        value,\n        keep_blank_values=True,\n    )\n"


def test_dropped_keyword_argument_is_reported_where_it_was_removed() -> None:
    head = CALL.replace("        keep_blank_values=True,\n", "")
    hits = logic_calls.check_dropped_arguments(change(CALL, head), CALL, head)
    assert rules(hits) == [("logic/dropped-argument", 4)]
    assert "keep_blank_values=True" in hits[0].message


def test_a_kept_moved_or_removed_call_is_not_a_dropped_argument() -> None:
    renamed = CALL.replace("keep_blank_values=True", "keep_blank_values=keep")
    assert logic_calls.check_dropped_arguments(change(CALL, renamed), CALL, renamed) == []
    via_kwargs = CALL.replace("keep_blank_values=True", "**options")
    assert logic_calls.check_dropped_arguments(change(CALL, via_kwargs), CALL, via_kwargs) == []
    gone = "def parse(value):\n    return value\n"  # the call itself went: not this rule's business
    assert logic_calls.check_dropped_arguments(change(CALL, gone), CALL, gone) == []
    broken = "def parse(value:\n"
    assert logic_calls.check_dropped_arguments(change(CALL, broken), CALL, broken) == []


def test_calls_are_compared_only_where_a_removed_line_held_a_keyword(monkeypatch) -> None:  # noqa: ANN001
    """A function whose removed lines pass no keyword argument cannot have dropped one: its calls
    are not unparsed (an assignment's ``=`` on a removed line passes the text filter)."""
    import ast  # noqa: PLC0415

    base = "def parse(value):\n    limit = 3\n    return parse_qs(value, keep_blank_values=True, limit=LIMIT)\n"
    head = "def parse(value):\n    return parse_qs(value, keep_blank_values=True, limit=LIMIT)\n"
    unparsed: list[str] = []
    real = ast.unparse
    monkeypatch.setattr(ast, "unparse", lambda node: unparsed.append(real(node)) or real(node))
    assert logic_calls.check_dropped_arguments(change(base, head), base, head) == []
    assert unparsed == []
    dropped = CALL.replace("        keep_blank_values=True,\n", "")
    assert rules(logic_calls.check_dropped_arguments(change(CALL, dropped), CALL, dropped)) == [("logic/dropped-argument", 4)]
    assert unparsed  # where one did, the calls are compared as before


def test_unwrapped_value() -> None:
    base = "def show(console, r, n):\n    console.print(escape(r.text))\n    return int(n)\n"
    head = "def show(console, r, n):\n    console.print(r.text)\n    return int(n)\n"
    hits = logic_calls.check_unwrapped(change(base, head))
    assert rules(hits) == [("logic/unwrapped-value", 2)] and "`escape(...)`" in hits[0].message


def test_logging_typing_and_method_calls_are_not_wrappers() -> None:
    for old, new in (("x = cast(int, y)", "x = y"), ("x = list(items)", "x = items"), ("x = text.strip()", "x = text"),
                     ("x = f(a=1)", "x = a=1"), ("x = escape(y)", "x = escape(z)")):
        base, head = f"def g():\n    {old}\n", f"def g():\n    {new}\n"
        assert logic_calls.check_unwrapped(change(base, head)) == [], old


def test_unwrapped_value_in_javascript_ignores_comments() -> None:
    base = "function f(n) {\n  return Math.max(n, 1); // at least one\n}\n"
    head = "function f(n) {\n  return n; // at least one\n}\n"
    fc = change(base, head, "web/f.js")
    assert rules(logic_calls.check_other(fc)) == [("logic/unwrapped-value", 2)]


def test_lost_f_string() -> None:
    base = 'def check(s):\n    raise ValueError(f"got {s!r}.")\n'
    head = 'def check(s):\n    raise ValueError("got {s!r}.")\n'
    assert rules(logic_calls.check_lost_fstrings(change(base, head))) == [("logic/lost-f-string", 2)]
    no_placeholder = 'def check(s):\n    raise ValueError("got it.")\n'
    assert logic_calls.check_lost_fstrings(change(base, no_placeholder)) == []
    formatted = 'def check(s):\n    raise ValueError("got {s!r}.".format(s=s))\n'
    assert logic_calls.check_lost_fstrings(change(base, formatted)) == []


def test_multi_line_condition_lost_a_clause() -> None:
    base = ("def read(s):\n    if hasattr(s, 'read') and not isinstance(\n        s, bytes\n    ):\n"
            "        return s.read()\n    return s\n")
    head = "def read(s):\n    if hasattr(s, 'read'):\n        return s.read()\n    return s\n"
    hits = logic_calls.check_dropped_clauses(change(base, head), base, head)
    assert rules(hits) == [("logic/loosened-condition", 2)] and "not isinstance(s, bytes)" in hits[0].message
    # the same condition reflowed, or with a different body, is not a dropped clause
    reflowed = "def read(s):\n    if hasattr(s, 'read') and not isinstance(s, bytes):\n        return s.read()\n    return s\n"
    assert logic_calls.check_dropped_clauses(change(base, reflowed), base, reflowed) == []
    other_body = "def read(s):\n    if hasattr(s, 'read'):\n        return s.read(1)\n    return s\n"
    assert logic_calls.check_dropped_clauses(change(base, other_body), base, other_body) == []


def test_removed_branch() -> None:
    base = ("def mounts(hosts):\n    out = {}\n    for h in hosts:\n        if '://' in h:\n            out[h] = None\n"
            "        elif h == 'localhost':\n            out['all://' + h] = None\n    return out\n")
    head = ("def mounts(hosts):\n    out = {}\n    for h in hosts:\n        if h == 'localhost':\n"
            "            out['all://' + h] = None\n    return out\n")
    hits = logic_calls.check_removed_branches(change(base, head), base, head)
    assert [h.rule for h in hits] == ["logic/removed-branch"] and "'://' in h" in hits[0].message


def test_kept_conditions_guards_and_compat_checks_are_not_removed_branches() -> None:
    base = ("import sys\n\n\ndef f(x):\n    if x is None:\n        raise ValueError('x')\n"
            "    if sys.version_info < (3, 9):\n        x = list(x)\n    if x:\n        x = sorted(x)\n    return x\n")
    moved = "import sys\n\n\ndef f(x):\n    if x is None:\n        raise ValueError('x')\n    return sorted(x) if x else x\n"
    assert logic_calls.check_removed_branches(change(base, moved), base, moved) == []
    gone_function = "import sys\n"
    assert logic_calls.check_removed_branches(change(base, gone_function), base, gone_function) == []


def test_a_deleted_clause_line_of_a_multi_line_condition() -> None:
    base = ("def gap(line, mode):\n    if (\n        line.depth == 0\n        and not line.is_import\n"
            "        and not line.is_converted(first=True)\n        and mode.preview\n    ):\n        return 1\n    return 0\n")
    head = base.replace("        and not line.is_converted(first=True)\n", "")
    hits = logic_calls.check_dropped_clauses(change(base, head), base, head)
    assert [h.rule for h in hits] == ["logic/loosened-condition"] and "is_converted" in hits[0].message


def test_swapped_opposites() -> None:
    base = "def f(vs):\n    lo = min(v for v in vs)\n    return lo\n"
    head = "def f(vs):\n    lo = max(v for v in vs)\n    return lo\n"
    hits = logic_calls.check_swapped_opposites(change(base, head))
    assert [(h.rule, h.line) for h in hits] == [("logic/boundary-change", 2)] and "min -> max" in hits[0].message
    renamed_too = ("def f(vs):\n    min_v = min(v for v in vs)\n    return min_v\n",
                   "def f(vs):\n    max_v = max(v for v in vs)\n    return max_v\n")
    assert len(logic_calls.check_swapped_opposites(change(*renamed_too))) == 1
    # a renamed variable alone (no call flips) or an unrelated rename is not a boundary change
    only_name = ("def f(vs):\n    min_v = 1\n", "def f(vs):\n    max_v = 1\n")
    assert logic_calls.check_swapped_opposites(change(*only_name)) == []
    other = ("def f(vs):\n    lo = min(vs)\n", "def f(vs):\n    lo = sum(vs)\n")
    assert logic_calls.check_swapped_opposites(change(*other)) == []


def test_each_version_is_parsed_once_for_all_tree_checks(monkeypatch) -> None:  # noqa: ANN001
    """The three tree checks share one parse per version (their text filters all pass here)."""
    base = "def f(a, b):\n    if (a and\n            b):\n        g(x, key=1)\n    return a\n"
    head = "def f(a, b):\n    g(x)\n    return a\n"
    parsed: list[str | None] = []
    real = logic_calls._parse

    def counting(text: str | None):  # noqa: ANN202
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(logic_calls, "_parse", counting)
    hits = logic_calls.check_python(change(base, head), base, head)
    assert parsed == [base, head]
    assert {h.rule for h in hits} >= {"logic/dropped-argument"}
def test_a_string_formatted_on_a_later_line_did_not_lose_its_f_string() -> None:
    base = 'def check(decl):\n    raise ValueError(\n        f"Boolean option {decl!r} cannot use the"\n        " same flag."\n    )\n'
    head = ('def check(decl):\n    raise ValueError(\n        _(\n            "Boolean option {decl!r} cannot use the"\n'
            '            " same flag."\n        ).format(decl=decl)\n    )\n')
    assert logic_calls.check_lost_fstrings(change(base, head)) == []


def test_the_logic_agent_parses_each_python_version_once_for_every_tree_check(monkeypatch) -> None:  # noqa: ANN001
    """logic_calls' checks, ``logic/removed-item``, ``logic/removed-default``, ``logic/dropped-condition``,
    ``logic/changed-raise`` and ``logic/unused-variable`` read one shared ``ast`` tree per file version (each of their text
    filters passes here)."""
    import ast  # noqa: PLC0415

    from bot.testing.fake_tree import memory_context  # noqa: PLC0415
    from subagents.logic import LogicAgent  # noqa: PLC0415

    base = ("ALLOWED = [\n    'a',\n    'b',\n]\n\n\ndef f(a, b, c=1):\n    if (a and\n            b):\n"
            "        g(a, key=1)\n    if a or b:\n        raise ValueError('bad')\n    return a\n")
    head = "ALLOWED = [\n    'a',\n]\n\n\ndef f(a, b, c):\n    g(a)\n    if a:\n        raise TypeError('bad')\n    return a\n"
    parsed: list[str] = []
    real = ast.parse

    def counting(source, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    ctx = memory_context({"app/m.py": base}, {"app/m.py": head}, title="Tidy f")
    verdict = LogicAgent().review(ctx)
    rules = {f.rule_id for f in verdict.findings}
    assert {"logic/removed-item", "logic/removed-default", "logic/dropped-argument"} <= rules, rules
    assert parsed.count(base) == 1 and parsed.count(head) == 1, (parsed.count(base), parsed.count(head))


def test_removed_branch_whose_body_is_an_exit_with_another_branch() -> None:
    base = ("def stop(self, attempt):\n    if self.stop(attempt):\n        if not self._wrap and attempt.failed:\n"
            "            raise attempt.get()\n        else:\n            raise RetryError(attempt)\n    return None\n")
    head = "def stop(self, attempt):\n    if self.stop(attempt):\n        raise RetryError(attempt)\n    return None\n"
    hits = logic_calls.check_removed_branches(change(base, head), base, head)
    assert [h.rule for h in hits] == ["logic/removed-branch"] and "self._wrap" in hits[0].message
    # the same exit without another branch is a removed guard, not a removed branch
    guard = "def stop(self, attempt):\n    if attempt.failed:\n        raise attempt.get()\n    return None\n"
    plain = "def stop(self, attempt):\n    return None\n"
    assert logic_calls.check_removed_branches(change(guard, plain), guard, plain) == []


def test_unwrapped_one_element_list() -> None:
    base = "def main(plat):\n    for t in platform_tags([plat.split('-')[-1]]):\n        print(t)\n    x = data[0]\n"
    head = base.replace("platform_tags([plat.split('-')[-1]])", "platform_tags(plat.split('-')[-1])")
    hits = logic_calls.check_unwrapped(change(base, head))
    assert [h.rule for h in hits] == ["logic/unwrapped-value"] and "one-element list" in hits[0].message
    # a subscript is no list display; a longer list or a comprehension is another edit
    assert logic_calls.check_unwrapped(change(base, base.replace("data[0]", "data"))) == []
    two = base.replace("[plat.split('-')[-1]]", "[plat, 'any']")
    assert logic_calls.check_unwrapped(change(two, two.replace("[plat, 'any']", "plat"))) == []


def test_an_if_elif_chain_rewritten_whole_is_not_a_collapsed_branch() -> None:
    base = ("def values(schema):\n    if schema['type'] == 'literal':\n        return schema['expected']\n"
            "    elif schema['type'] == 'default':\n        return values(schema['schema'])\n    return []\n")
    head = ("def values(schema):\n    kind = schema['type']\n    match kind:\n        case 'literal':\n"
            "            return schema['expected']\n    return []\n")
    assert logic_calls.check_removed_branches(change(base, head), base, head) == []
