"""Syntax-tree checks of the logic agent for Python: removed guards, changed returns, swallowed
exceptions, changed constants and deleted tests, comparing the base and head trees of one file
and looking only at nodes that start on changed lines.

Pure: works on tree-sitter trees (parsed through :mod:`subagents._canonical`) and diff models.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from tree_sitter import Node, Tree

from bot.core.diff import FileChange
from subagents import _canonical, _syntax
from subagents._hunks import head_line_for_old
from subagents._syntax import Definition, line_of, node_text
from subagents.logic_lines import Hit, is_sensitive_name

_EXITS = frozenset({"raise_statement", "return_statement", "continue_statement", "break_statement"})
_GUARD_TYPES, _HANDLER_TYPES, _ASSERT_CALL_TYPES = _syntax.PY_SEARCHES
_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_LITERAL_TYPES = frozenset(
    {
        "integer", "float", "string", "string_start", "string_content", "string_end", "escape_sequence",
        "true", "false", "none", "unary_operator", "binary_operator", "parenthesized_expression",
        "tuple", "list", "set", "concatenated_string",
    }
)


@dataclass
class PyFile:
    """One changed Python file: trees of both sides, changed line numbers, definitions.

    ``removed`` holds base line numbers of removed lines, ``added`` head line numbers of added lines.
    """

    fc: FileChange
    base: Tree | None
    head: Tree | None
    removed: set[int]
    added: set[int]
    is_test: bool
    base_inline: dict[str, _canonical.Helper] = field(default_factory=dict)
    """Helpers that exist only in the base (see :func:`subagents._canonical.one_sided_helpers`)."""
    head_inline: dict[str, _canonical.Helper] = field(default_factory=dict)
    """Helpers that exist only in the head: calls to them are compared as their bodies."""
    tests_cover: Callable[[str], bool] = field(default=lambda name: False)
    """Whether a test file changed by the same pull request covers this file or function ``name``."""
    removed_names: frozenset[str] = frozenset()
    """Runtime functions and classes the pull request deletes (tests of them may go too)."""
    moved_tests: frozenset[str] = frozenset()
    """Names of test functions the pull request adds to some test file (where deleted ones may have moved)."""
    defs_cache: dict | None = None
    """Review-wide cache for :func:`subagents._syntax.definitions`."""
    streams: _canonical.StreamMemo | None = None
    """Review-wide canonical streams of whole nodes (:class:`subagents._canonical.StreamMemo`), or None."""
    base_defs: dict[str, Definition] = field(default_factory=dict)
    head_defs: dict[str, Definition] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.base is not None:
            self.base_defs = _syntax.definitions(self.base.root_node, "python", cache=self.defs_cache)
        if self.head is not None:
            self.head_defs = _syntax.definitions(self.head.root_node, "python", cache=self.defs_cache)
        self._base_spans = sorted((d.start, d.end, q) for q, d in self.base_defs.items())
        self._head_spans = sorted((d.start, d.end, q) for q, d in self.head_defs.items())
        self._ordered = {"base": sorted(self.removed), "head": sorted(self.added)}

    def touches(self, start: int, end: int, side: str) -> bool:
        """True when a changed line of ``side`` (removed for ``"base"``, added for ``"head"``) lies in
        ``start..end`` (1-based, inclusive): a search of the sorted lines, not a scan."""
        ordered = self._ordered[side]
        i = bisect.bisect_left(ordered, start)
        return i < len(ordered) and ordered[i] <= end

    def enclosing(self, line: int, side: str) -> str:
        """Qualified name of the innermost function containing ``line`` on ``side``, or ``""``."""
        spans = self._base_spans if side == "base" else self._head_spans
        best = ""
        best_len = 1 << 30
        for start, end, qual in spans[: bisect.bisect_right(spans, (line, 1 << 30, ""))]:
            if start <= line <= end and end - start < best_len:
                best, best_len = qual, end - start
        return best

    def head_line(self, old_line: int) -> int:
        """Head line to anchor a finding about base line ``old_line``."""
        return head_line_for_old(self.fc, old_line)

    def old_line(self, new_line: int) -> int | None:
        """The base line of an unchanged head line (by hunk offsets), None for an added line."""
        if new_line in self.added:
            return None
        offset = 0
        for h in self.fc.hunks:
            if new_line < h.target_start:
                break
            for ln in h.lines:
                if ln.new_lineno == new_line:
                    return ln.old_lineno
            offset = (h.source_start + h.source_length) - (h.target_start + h.target_length)
        return new_line + offset

    def hunk_of_old(self, line: int) -> int:
        """Index of the hunk whose base range holds ``line`` (-1 when none)."""
        for i, h in enumerate(self.fc.hunks):
            if h.source_start <= line < h.source_start + max(h.source_length, 1):
                return i
        return -1

    def hunk_of_new(self, line: int) -> int:
        """Index of the hunk whose head range holds ``line`` (-1 when none)."""
        for i, h in enumerate(self.fc.hunks):
            if h.target_start <= line < h.target_start + max(h.target_length, 1):
                return i
        return -1


def _first_line(node: Node, n: int = 100) -> str:
    """The node's text on one line (whitespace collapsed, comments kept), cut to ``n`` characters."""
    text = " ".join(node_text(node).split())
    text = text.replace("( ", "(").replace(" )", ")").replace("[ ", "[").replace(" ]", "]")
    return text if len(text) <= n else text[: n - 1] + "…"


def _key(node: Node) -> str:
    return " ".join(_canonical.canonical(node))


# --- removed guards ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Item:
    kind: str
    node: Node
    line: int
    key: str
    loose: str
    qual: str


def _is_none_check(cond: Node | None) -> bool:
    if cond is None:
        return False
    for comp in _syntax.iter_nodes(cond, frozenset({"comparison_operator"})):
        if any(c.type == "none" for c in comp.named_children):
            return True
    return False


def _guard_item(node: Node, pf: PyFile, side: str) -> _Item | None:
    line = line_of(node)
    qual = pf.enclosing(line, side)
    if node.type == "if_statement":
        cons = node.child_by_field_name("consequence")
        cond = node.child_by_field_name("condition")
        has_else = any(c.type in ("elif_clause", "else_clause") for c in node.children)
        stmts = [c for c in (cons.named_children if cons is not None else []) if c.type != "comment"]
        if stmts and not has_else and len(stmts) <= 3 and stmts[-1].type in _EXITS:
            return _Item("guard", node, line, _key(node), stmts[-1].type, qual)
        if _is_none_check(cond):
            return _Item("null-check", node, line, _key(node), "null-check", qual)
        return None
    if node.type == "raise_statement":
        return _Item("raise", node, line, _key(node), "", qual)
    if node.type == "assert_statement":
        return _Item("assert", node, line, _key(node), "", qual)
    return None


def _items(tree: Tree | None, pf: PyFile, side: str, lines: set[int] | None = None, qual: str | None = None) -> list[_Item]:
    """The guard items of ``tree`` in document order: all of them, or those starting on one of
    ``lines`` (only the band of those lines is searched), or those whose enclosing function is
    ``qual`` (only that function's lines are searched, unless ``qual`` is ``""``: code outside
    every function may lie anywhere)."""
    if tree is None:
        return []
    if qual:
        d = (pf.base_defs if side == "base" else pf.head_defs).get(qual)
        if d is None:
            return []
        nodes = _syntax.find(tree.root_node, "python", _GUARD_TYPES, lines={d.start, d.end})
    elif lines is not None:  # only nodes starting on one of lines are kept
        nodes = _syntax.find_near(tree.root_node, "python", _GUARD_TYPES, lines)
    else:
        nodes = _syntax.find(tree.root_node, "python", _GUARD_TYPES)
    out = []
    for node in nodes:
        if lines is not None and line_of(node) not in lines:
            continue
        if qual is not None and pf.enclosing(line_of(node), side) != qual:
            continue
        item = _guard_item(node, pf, side)
        if item is not None:
            out.append(item)
    return out


def _counts(tree: Tree | None, pf: PyFile, side: str, quals: set[str]) -> Counter[tuple[str, str]]:
    """How often each ``(enclosing function, key)`` occurs among the guard items of ``tree``,
    for the functions ``quals`` (the other functions' items are not looked at)."""
    return Counter((i.qual, i.key) for q in sorted(quals) for i in _items(tree, pf, side, qual=q))


_GUARD_MESSAGES = {
    "guard": ("A guard was removed: `{text}`; the code after it now runs for inputs it used to reject.",
              "Keep the check, or add a test showing the inputs it rejected are now handled."),
    "null-check": ("A None check was removed: `{text}`; the guarded code now runs when the value is None.",
                   "Keep the None check, or show that the value can no longer be None."),
    "raise": ("A `raise` was removed: `{text}`; the error case now falls through silently.",
              "Keep raising, or explain (and test) why the case is no longer an error."),
    "assert": ("An assertion was removed from runtime code: `{text}`.",
               "Keep the invariant check, or replace it with explicit validation."),
}


def check_removed_guards(pf: PyFile) -> list[Hit]:
    """``logic/removed-guard``: an ``if`` that exits (raise/return/continue/break, no else), an
    ``if`` testing ``None``, a ``raise`` or an ``assert`` that starts on a removed line, is not
    re-added identically anywhere in the file, is not still present as often in its function, and
    was not replaced by an added node of the same kind in the same hunk (an exit-guard by one that
    exits the same way, a raise by any raise: those are edits, left to the condition checks).
    Test files and functions deleted entirely are not examined."""
    if pf.is_test or pf.base is None or pf.head is None or not pf.removed:
        return []
    if not any(line_of(n) in pf.removed for n in _syntax.find_near(pf.base.root_node, "python", _GUARD_TYPES, pf.removed)):
        return []
    # Only the items that can decide are collected: those on removed and added lines, those of
    # the functions that lost one (their counts) and those of new functions (a guard moved there).
    removed = _items(pf.base, pf, "base", lines=pf.removed)
    containers = [i for i in removed if i.kind in ("guard", "null-check")]
    removed = [
        i for i in removed
        if not any(c is not i and c.node.start_byte <= i.node.start_byte and i.node.end_byte <= c.node.end_byte for c in containers)
    ]
    added = _items(pf.head, pf, "head", lines=pf.added)
    added_keys = Counter(i.key for i in added)
    quals = {i.qual for i in removed}
    base_count = _counts(pf.base, pf, "base", quals)
    head_count = _counts(pf.head, pf, "head", quals)
    used: set[int] = set()
    hits: list[Hit] = []
    new_funcs = {q for q in pf.head_defs if q not in pf.base_defs}
    moved = sorted((i for q in new_funcs for i in _items(pf.head, pf, "head", qual=q)), key=lambda i: i.node.start_byte)
    head_lines: dict[str, set[str]] = {}
    for item in removed:
        if item.qual and item.qual not in pf.head_defs:
            continue
        if (moved or pf.head_inline) and _moved_into_helper(pf, item, moved):
            continue
        if added_keys[item.key] > 0:
            added_keys[item.key] -= 1
            continue
        if head_count[(item.qual, item.key)] >= base_count[(item.qual, item.key)]:
            continue
        if not _protected_code_survives(pf, item, head_lines):
            continue
        hunk = pf.hunk_of_old(item.line)
        text = _first_line(item.node)
        candidates = [j for j, h in enumerate(added)
                      if j not in used and h.kind == item.kind and h.loose == item.loose and pf.hunk_of_new(h.line) == hunk]
        if candidates:  # an edit of the guard: left to the condition checks; pair with the most similar one
            used.add(max(candidates, key=lambda j: SequenceMatcher(None, text, _first_line(added[j].node), autojunk=False).ratio()))
            continue
        message, suggestion = _GUARD_MESSAGES[item.kind]
        hits.append(Hit("logic/removed-guard", "major", pf.head_line(item.line), text, message.format(text=text), suggestion, old_line=item.line))
    return hits


def _protected_code_survives(pf: PyFile, item: _Item, cache: dict[str, set[str]]) -> bool:
    """Whether the code a removed guard protected still runs in the head: for a None check
    without an exit, a statement of its body; for an exit guard, a statement that followed it;
    found (first line, whitespace ignored) in the head function. When that code went too, the
    check and what it protected were removed or rewritten together (deprecated code dropped, a
    body replaced by a delegation), which is not a removed guard. Raises and asserts always count."""
    if item.kind not in ("guard", "null-check"):
        return True
    if item.kind == "null-check" and item.loose == "null-check":
        cons = item.node.child_by_field_name("consequence")
        protected = [c for c in (cons.named_children if cons is not None else []) if c.type != "comment"]
    else:
        protected = []
        sib = item.node.next_named_sibling
        while sib is not None and len(protected) < 3:
            if sib.type != "comment":
                protected.append(sib)
            sib = sib.next_named_sibling
    if not protected:
        return True
    if item.qual not in cache:
        scope = pf.head_defs[item.qual].node if item.qual in pf.head_defs else (pf.head.root_node if pf.head else None)
        text = node_text(scope) if scope is not None else ""
        cache[item.qual] = {"".join(ln.split()) for ln in text.splitlines() if ln.strip()} | {"\n" + "".join(text.split())}
    lines = cache[item.qual]
    if item.kind == "null-check":  # a check removed from around its body leaves the whole body behind
        whole = next(x for x in lines if x.startswith("\n"))
        return all("".join(node_text(p).split()) in whole for p in protected)
    first = ["".join(node_text(p).splitlines()[0].split()) for p in protected]
    return any(f in lines and not _COMMON_LINE.match(f) for f in first)


_COMMON_LINE = re.compile(r"^(import\w|from\w|return(None)?$|pass$|continue$|break$|else:|\)|\]|.*[(\[{]$)")
"""Lines (whitespace removed) too common to show that protected code survived."""


def _moved_into_helper(pf: PyFile, item: _Item, moved: list[_Item]) -> bool:
    """True when the function that lost ``item`` now calls (on an added line) a new function of
    the file holding the same guard, up to a consistent renaming: the guard moved into a helper."""
    hd = pf.head_defs.get(item.qual)
    if hd is None:
        return False
    called = {
        _syntax.node_text(fn).rsplit(".", 1)[-1]
        for call in _syntax.own_nodes(hd.node, frozenset({"call"}))
        if line_of(call) in pf.added and (fn := call.child_by_field_name("function")) is not None
    }
    for m in moved:
        if m.kind != item.kind or m.qual.split("#")[0].rsplit(".", 1)[-1] not in called:
            continue
        if m.key == item.key or _canonical.rename_map(_canonical.canonical(item.node), _canonical.canonical(m.node)) is not None:
            return True
    return _moved_into_other_file(pf, item, called)


def _moved_into_other_file(pf: PyFile, item: _Item, called: set[str]) -> bool:
    """True when a helper that exists only in the head (extracted by this change, in any file of it,
    see :func:`subagents._canonical.one_sided_helpers`) is called on an added line of the function and
    its body holds the same guard up to a consistent renaming (``check_order(o)`` in a new module)."""
    guard = _canonical.canonical(item.node)
    for name in called & set(pf.head_inline):
        # parameter placeholders (``\x00P:o``) compare as identifiers, renamed consistently
        body = [("@" + t[3:]) if t.startswith("\x00P:") else t for t in pf.head_inline[name].stmts or ()]
        for i in range(len(body) - len(guard) + 1):
            if _canonical.rename_map(guard, list(body[i:i + len(guard)])) is not None:
                return True
    return False


# --- returns -------------------------------------------------------------------------------------

def _return_value(node: Node) -> str:
    value = node.named_children[0] if node.named_children else None
    if value is None or value.type == "none":
        return ""
    return " ".join(_canonical.canonical(value))


def _returns(func: Node) -> list[tuple[int, str, Node]]:
    return [(line_of(n), _return_value(n), n) for n in _syntax.own_nodes(func, frozenset({"return_statement"}))]


def _last_statement(func: Node) -> Node | None:
    body = func.child_by_field_name("body")
    stmts = [c for c in (body.named_children if body is not None else []) if c.type != "comment"]
    return stmts[-1] if stmts else None


def check_returns(pf: PyFile) -> list[Hit]:
    """``logic/changed-return``: in a function present on both sides whose code changed (beyond a
    consistent renaming, or extracting/inlining a helper): a return on a changed line whose value
    changed, a removed return path, or a function that returned a value and now only returns None
    / falls off the end.

    Severity: major when the function now returns None where it returned a value, when a return
    value changes type class (e.g. ``True`` -> ``None``, a number -> a string), or when a return
    was replaced by a ``raise``; minor otherwise (most return edits are the point of the change).
    Functions covered by a test file that the same pull request changes are skipped (the change
    is tested); so are generators and test files."""
    if pf.is_test or pf.base is None or pf.head is None:
        return []
    hits: list[Hit] = []
    language = "python" if not pf.base.root_node.has_error and not pf.head.root_node.has_error else None
    for qual, hd in pf.head_defs.items():
        bd = pf.base_defs.get(qual)
        if bd is None or bd.node.type != "function_definition":
            continue
        if not (pf.touches(hd.start, hd.end, "head") or pf.touches(bd.start, bd.end, "base")):
            continue
        if _syntax.is_generator(bd.node) or _syntax.is_generator(hd.node):
            continue
        streams = pf.streams if pf.streams is not None else _canonical.StreamMemo()
        cb = streams.stream(bd.node, inline=pf.base_inline, language=language)
        ch = streams.stream(hd.node, inline=pf.head_inline, language=language)
        if cb == ch or _canonical.rename_map(cb, ch) is not None:
            continue
        if pf.tests_cover(qual.split("#")[0].rsplit(".", 1)[-1]):
            continue
        hits.extend(_compare_returns(pf, qual, bd, hd))
    return hits


_TYPE_CLASS = {
    "true": "bool", "false": "bool", "comparison_operator": "bool", "not_operator": "bool",
    "none": "None", "integer": "number", "float": "number", "string": "str", "concatenated_string": "str",
    "list": "list", "list_comprehension": "list", "dictionary": "dict", "dictionary_comprehension": "dict",
    "tuple": "tuple", "expression_list": "tuple", "set": "set", "set_comprehension": "set",
}
"""Python expression node type -> the class of value it evaluates to (others are unknown)."""


def type_class(value: Node | None) -> str | None:
    """The class of value a ``return`` expression yields (``bool``, ``None``, ``number``, ``str``,
    ``list``, ``dict``, ``tuple``, ``set``), None when unknown from syntax alone."""
    if value is None:
        return "None"
    while value.type == "parenthesized_expression" and value.named_child_count == 1:
        value = value.named_children[0]
    if value.type == "unary_operator" and value.named_children:
        return type_class(value.named_children[-1])
    return _TYPE_CLASS.get(value.type)


def _value_node(ret: Node) -> Node | None:
    return ret.named_children[0] if ret.named_children else None


def _aliased(func: Node, a: Node | None, b: Node | None) -> bool:
    """True when ``func`` assigns one of the two return values to the other (``stock[k] = level``
    before ``return level`` where ``return stock[k]`` was): the value returned is the same."""
    if a is None or b is None:
        return False
    ka, kb = _canonical.canonical(a), _canonical.canonical(b)
    for n in _syntax.own_nodes(func, frozenset({"assignment"})):
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None:
            continue
        pair = (_canonical.canonical(left), _canonical.canonical(right))
        if pair in ((ka, kb), (kb, ka)):
            return True
    return False


def _pair_returns(pf: PyFile, removed: list[tuple[int, str, Node]], added: list[tuple[int, str, Node]]) -> dict[int, int]:
    """Pair each removed return with the added return that replaced it: same hunk, then the nearest
    head position (the removed line mapped into the head), then the most similar value text; each
    added return is used once. ``{index in removed: index in added}``. A new early return (a guard
    added above) no longer steals the pairing of the return that was edited below it."""
    scored = []
    for i, (line, _value, node) in enumerate(removed):
        hunk, at, text = pf.hunk_of_old(line), pf.head_line(line), _first_line(node)
        for j, (new_line, _v, new_node) in enumerate(added):
            if pf.hunk_of_new(new_line) != hunk:
                continue
            similarity = SequenceMatcher(None, text, _first_line(new_node)).ratio()
            scored.append((abs(new_line - at), -similarity, i, j))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for _distance, _similarity, i, j in sorted(scored):
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def _compare_returns(pf: PyFile, qual: str, bd: Definition, hd: Definition) -> list[Hit]:
    base_r, head_r = _returns(bd.node), _returns(hd.node)
    base_valued = [r for r in base_r if r[1]]
    head_valued = [r for r in head_r if r[1]]
    name = qual.split("#")[0]
    if base_valued and not head_valued:
        last = _last_statement(hd.node)
        line = next((ln for ln in sorted(pf.added) if hd.start <= ln <= hd.end), hd.end)
        example = _first_line(base_valued[0][2])
        how = "falls off the end" if last is None or last.type not in _EXITS else "only returns None"
        return [Hit("logic/changed-return", "major", line, f"{name} returns None",
                    f"`{name}()` returned a value before (e.g. `{example}`) and now {how}: callers get None.",
                    "Return the value on every path, or update every caller and say so in the description.")]
    lost = Counter(v for _, v, _ in base_r) - Counter(v for _, v, _ in head_r)
    new = Counter(v for _, v, _ in head_r) - Counter(v for _, v, _ in base_r)
    removed = [r for r in base_r if r[0] in pf.removed and lost[r[1]] > 0]
    added = [r for r in head_r if r[0] in pf.added and new[r[1]] > 0]
    raises_by_hunk = Counter(
        pf.hunk_of_new(line_of(n)) for n in _syntax.own_nodes(hd.node, frozenset({"raise_statement"})) if line_of(n) in pf.added
    )
    hits: list[Hit] = []
    twins = _pair_returns(pf, removed, added)
    for i, (line, value, node) in enumerate(removed):
        lost[value] -= 1
        hunk = pf.hunk_of_old(line)
        twin = twins.get(i)
        if twin is not None:
            new_node = added[twin][2]
            if _aliased(hd.node, _value_node(node), _value_node(new_node)) or _aliased(bd.node, _value_node(node), _value_node(new_node)):
                continue
            old_t, new_t = type_class(_value_node(node)), type_class(_value_node(new_node))
            flip = old_t is not None and new_t is not None and old_t != new_t
            what = f" (a {old_t} became a {new_t})" if flip else ""
            hits.append(Hit("logic/changed-return", "major" if flip else "minor", added[twin][0], _first_line(new_node),
                            f"`{name}()` now returns something else{what}: `{_first_line(node)}` became `{_first_line(new_node)}`.",
                            "Check every caller of this function, and cover the new value with a test."))
        elif raises_by_hunk[hunk] > 0 and value:
            raises_by_hunk[hunk] -= 1
            hits.append(Hit("logic/changed-return", "major", pf.head_line(line), _first_line(node),
                            f"`{name}()` now raises where it returned a value: `{_first_line(node)}` was replaced by a `raise`.",
                            "Check that every caller handles the exception; cover it with a test.", old_line=line))
        else:
            hits.append(Hit("logic/changed-return", "minor", pf.head_line(line), _first_line(node),
                            f"A return path of `{name}()` was removed: `{_first_line(node)}`.",
                            "Check the cases that used to return here; cover them with a test.", old_line=line))
    return hits


# --- swallowed exceptions ------------------------------------------------------------------------

def _except_types(clause: Node) -> list[str]:
    value = clause.child_by_field_name("value")
    if value is None:
        for c in clause.named_children:
            if c.type not in ("block", "comment"):
                value = c
                break
    if value is None:
        return []
    if value.type == "as_pattern":
        value = value.named_children[0] if value.named_children else value
    if value.type in ("tuple", "parenthesized_expression", "expression_list"):
        return [node_text(c) for c in value.named_children]
    return [node_text(value)]


def _is_broad(types: list[str]) -> bool:
    return not types or any(t in _BROAD for t in types)


def _trivial(stmt: Node) -> bool:
    if stmt.type in ("pass_statement", "continue_statement"):
        return True
    if stmt.type == "return_statement":
        return not stmt.named_children or stmt.named_children[0].type == "none"
    if stmt.type == "expression_statement":
        return len(stmt.named_children) == 1 and stmt.named_children[0].type == "ellipsis"
    return False


def _already_swallowed(pf: PyFile, clause: Node) -> bool:
    """True when ``clause``'s ``except`` line is unchanged and the base clause there already
    neither raised nor called anything (it swallowed the error before this change too)."""
    line = line_of(clause)
    if line in pf.added:
        return False
    old = pf.old_line(line)
    if old is None:
        return False
    for base_clause in _clauses(pf.base, {old}):
        if line_of(base_clause) == old:
            body = next((c for c in base_clause.named_children if c.type == "block"), None)
            if body is None:
                return False
            return not any(True for _ in _syntax.iter_nodes(body, frozenset({"raise_statement", "call"})))
    return False


def _clauses(tree: Tree | None, lines: set[int]) -> list[Node]:
    """Except clauses of ``tree`` near ``lines`` (:func:`subagents._syntax.find_near`: every clause
    starting on, or holding a statement that starts on, one of them, and possibly others)."""
    return [] if tree is None else _syntax.find_near(tree.root_node, "python", _HANDLER_TYPES, lines)


def check_swallowed(pf: PyFile) -> list[Hit]:
    """``logic/swallowed-exception``: an except clause that is new or whose body changed and now
    only passes / continues / returns None (major for a bare ``except``, ``Exception`` or
    ``BaseException``, minor for a specific exception type, which is often deliberate EAFP);
    and an ``except X`` broadened to a bare/``Exception`` clause in the same hunk (major).
    Test files are skipped (tests catch errors on purpose)."""
    if pf.is_test:
        return []
    hits: list[Hit] = []
    base_narrow_by_hunk: Counter[int] = Counter(
        pf.hunk_of_old(line_of(c)) for c in _clauses(pf.base, pf.removed) if line_of(c) in pf.removed and not _is_broad(_except_types(c))
    )
    for clause in _clauses(pf.head, pf.added):
        body = next((c for c in clause.named_children if c.type == "block"), None)
        stmts = [c for c in (body.named_children if body is not None else []) if c.type != "comment"]
        line = line_of(clause)
        touched = line in pf.added or any(line_of(s) in pf.added for s in stmts)
        if not touched:
            continue
        types = _except_types(clause)
        broad = _is_broad(types)
        text = _first_line(clause, 60).split(":")[0] + ":"
        if stmts and all(_trivial(s) for s in stmts) and not _already_swallowed(pf, clause):
            hits.append(Hit("logic/swallowed-exception", "major" if broad else "minor", line, text,
                            f"`{text}` swallows the error: its body is only `{node_text(stmts[0]).strip()}`, with no logging or re-raise.",
                            "Log the exception, re-raise it, or narrow the clause to the error you expect."))
            continue
        hunk = pf.hunk_of_new(line)
        if broad and line in pf.added and base_narrow_by_hunk[hunk] > 0:
            base_narrow_by_hunk[hunk] -= 1
            hits.append(Hit("logic/swallowed-exception", "major", line, text,
                            f"An except clause was broadened to `{text}`: it now also catches errors it used to let through.",
                            "Catch the specific exceptions you expect."))
    for ln in pf.fc.added_lines():
        stripped = ln.text.strip()
        if ln.new_lineno and "suppress(" in stripped and not stripped.startswith("#"):
            broad = any(b in stripped for b in ("suppress(Exception", "suppress(BaseException"))
            hits.append(Hit("logic/swallowed-exception", "major" if broad else "minor", ln.new_lineno, stripped,
                            f"`{stripped}` silently suppresses errors.",
                            "Suppress only the specific error you expect, and log when it happens."))
    return hits


# --- constants -----------------------------------------------------------------------------------

def _assignments(tree: Tree | None) -> dict[str, Node]:
    """Module- and class-level ``NAME = value`` / ``NAME: T = value``: qualified name -> assignment."""
    out: dict[str, Node] = {}
    if tree is None:
        return out
    scopes: list[tuple[Node, str]] = [(tree.root_node, "")]
    while scopes:
        scope, prefix = scopes.pop()
        for child in scope.named_children:
            target = child
            if child.type == "decorated_definition":
                target = child.child_by_field_name("definition") or child
            if target.type == "class_definition":
                name = target.child_by_field_name("name")
                body = target.child_by_field_name("body")
                if name is not None and body is not None:
                    scopes.append((body, f"{prefix}{node_text(name)}."))
                continue
            if child.type != "expression_statement" or not child.named_children:
                continue
            assign = child.named_children[0]
            left = assign.child_by_field_name("left") if assign.type == "assignment" else None
            if left is not None and left.type == "identifier" and assign.child_by_field_name("right") is not None:
                out[prefix + node_text(left)] = assign
    return out


def _literal(value: Node) -> bool:
    """True when every named node below ``value`` is a literal or an operator over literals."""
    stack = [value]
    while stack:
        n = stack.pop()
        if n.is_named and n.type not in _LITERAL_TYPES:
            return False
        stack.extend(n.children)
    return True


def check_constants(pf: PyFile) -> list[Hit]:
    """``logic/changed-constant``: a module- or class-level name assigned a literal (number,
    string, bool, None, arithmetic of literals) on both sides with a different value, changed on
    an added line. Major when the name looks like a timeout, limit, retry count, size or a
    security setting (see :func:`subagents.logic_lines.is_sensitive_name`) — for those any value
    counts, not only literals — minor otherwise. Dunder names (``__version__``) and test files
    are skipped."""
    if pf.is_test:
        return []
    base, head = _assignments(pf.base), _assignments(pf.head)
    hits: list[Hit] = []
    for qual, assign in head.items():
        name = qual.rsplit(".", 1)[-1]
        if qual not in base or name.startswith("__") or line_of(assign) not in pf.added:
            continue
        old_v, new_v = base[qual].child_by_field_name("right"), assign.child_by_field_name("right")
        if old_v is None or new_v is None:
            continue
        if _canonical.canonical(old_v) == _canonical.canonical(new_v):
            continue
        sensitive = is_sensitive_name(name)
        if not sensitive and not (_literal(old_v) and _literal(new_v)):
            continue
        old_t, new_t = _first_line(old_v, 60), _first_line(new_v, 60)
        hits.append(Hit("logic/changed-constant", "major" if sensitive else "minor", line_of(assign), _first_line(assign),
                        f"`{qual}` changed from `{old_t}` to `{new_t}`.",
                        "Say why in the description; check every place that relies on the old value."))
    return hits


# --- tests ---------------------------------------------------------------------------------------

def _is_test_def(qual: str) -> bool:
    return qual.split("#")[0].rsplit(".", 1)[-1].startswith("test")


def _assert_nodes(tree: Tree | None, lines: set[int], keep: set[str], pf: PyFile, side: str) -> list[Node]:
    if tree is None:
        return []
    out = []
    for n in _syntax.find(tree.root_node, "python", _ASSERT_CALL_TYPES, lines=lines):
        if line_of(n) not in lines or pf.enclosing(line_of(n), side) not in keep:
            continue
        if n.type == "call":
            fn = n.child_by_field_name("function")
            name = node_text(fn).rsplit(".", 1)[-1] if fn is not None else ""
            if not (name.startswith("assert") or name == "raises"):
                continue
        out.append(n)
    return out


def check_tests(pf: PyFile) -> list[Hit]:
    """``logic/deleted-test`` for Python test files: test functions/methods deleted (and not just
    renamed: a new test with the same code up to renaming counts as a rename, and one added under
    the same name to any test file of the change as a move; minor when the test used a function
    or class the change deletes from runtime code), and asserts
    (``assert``, ``self.assert*``, ``pytest.raises``, ``mock.assert_*``) removed from surviving
    tests without as many added back."""
    if not pf.is_test or pf.base is None:
        return []
    hits: list[Hit] = []
    base_tests = {q: d for q, d in pf.base_defs.items() if _is_test_def(q)}
    head_tests = {q: d for q, d in pf.head_defs.items() if _is_test_def(q)}
    new_bodies = [_canonical.canonical(d.node) for q, d in head_tests.items() if q not in base_tests]
    for qual, d in base_tests.items():
        if qual in head_tests:
            continue
        if qual.split("#")[0].rsplit(".", 1)[-1] in pf.moved_tests:
            continue  # re-added under the same name (in another file or class): moved
        body = _canonical.canonical(d.node)
        if any(_canonical.rename_map(body, nb) is not None for nb in new_bodies):
            continue
        gone = sorted({t[1:] for t in body if t.startswith("@")} & pf.removed_names)
        hits.append(Hit("logic/deleted-test", "minor" if gone else "major", pf.head_line(d.start), f"def {qual}",
                        f"Test `{qual.split('#')[0]}` was deleted" + (f" along with `{gone[0]}`, which it tested." if gone else "."),
                        "Keep the test, or explain in the description why the behaviour it checked is gone.",
                        old_line=line_of(d.node)))
    surviving = {q for q in base_tests if q in head_tests} | {""}
    surviving |= {q for q in pf.base_defs if q in pf.head_defs}
    removed = _assert_nodes(pf.base, pf.removed, surviving, pf, "base")
    added = _assert_nodes(pf.head, pf.added, set(pf.head_defs) | {""}, pf, "head")
    if len(removed) > len(added):
        first = removed[0]
        hits.append(Hit("logic/deleted-test", "major", pf.head_line(line_of(first)), _first_line(first),
                        f"Assertions were removed from tests ({len(removed)} removed, {len(added)} added), e.g. `{_first_line(first)}`.",
                        "Keep the assertions, or replace them with equivalent ones."))
    return hits


CHECKS = (check_removed_guards, check_returns, check_swallowed, check_constants, check_tests)
"""Every Python tree check, in order."""
