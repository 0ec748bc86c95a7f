"""Does a change that claims to be a refactor plausibly change behaviour? Evidence for the intent
agent's ``intent/claims-no-behaviour-change`` check. Pure: works on tree-sitter nodes.

A refactor is rarely token-for-token equivalent (a loop becomes a comprehension, a local
variable is introduced, nested ``if`` s are merged), so when the canonical comparison of
:mod:`subagents._canonical` fails, the claim is only contradicted by *positive evidence* that
behaviour moved, comparing the changed regions of base and head:

- calls: a function or method called on one side only, other than functions defined in the
  changed files themselves (extracted or renamed helpers) and a few pure builtins;
- literals: a number, string, ``True``/``False``/``None`` present on one side only (strings are
  ignored for typo/formatting claims);
- conditions (Python): a condition clause (a leaf of the condition in negation normal form,
  local names abstracted) present on one side only, or ``and`` and ``or`` swapped over the same
  clauses; other languages: comparison, logical and null-safety operators (``?.``, ``??``)
  counted on each side;
- arithmetic: binary operators (``+``, ``-``, ``*``...; ``x += 1`` counts as ``+``) counted on
  each side;
- raises: an exception raised on one side only;
- public signatures: a public function whose parameters changed while no other changed line
  calls it (its callers were not updated).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from subagents import _canonical, _syntax
from subagents._syntax import COMMENT_TYPES, STRING_TYPES, node_text

PURE_BUILTINS = frozenset(
    {"len", "list", "tuple", "dict", "set", "frozenset", "str", "repr", "isinstance", "issubclass", "iter",
     "next", "enumerate", "zip", "range", "sorted", "reversed", "any", "all", "getattr", "hasattr", "super",
     "type", "map", "filter", "bool", "id", "callable", "vars", "cast",
     "append", "extend", "add", "insert", "items", "keys", "values", "copy", "join", "format"}
)
"""Calls that restructuring adds or removes freely (``list(x)`` for ``[*x]``, ``out.append(x)`` for
a comprehension, ``"".join``); they are not evidence."""
_CALL_TYPES = frozenset({"call", "call_expression", "method_invocation", "method_call", "invocation_expression"})
_LITERAL_LEAVES = frozenset({"true", "false", "none", "null", "nil", "undefined"})
_CONDITION_OPS = frozenset({"==", "!=", "===", "!==", "<", "<=", ">", ">=", "&&", "||", "??", "?."})
"""Operators counted outside Python. Not ``!``: restructuring (an early return becoming a ternary)
moves negations around without changing behaviour."""
_ARITHMETIC_OPS = {op: op for op in ("+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^")}
_ARITHMETIC_OPS |= {op + "=": op for op in list(_ARITHMETIC_OPS)}
"""Arithmetic operators, augmented assignments counted as their operator (``x += 1`` is ``+``)."""
_PY_CONDITIONS = {
    "if_statement": "condition", "elif_clause": "condition", "while_statement": "condition",
    "conditional_expression": None, "if_clause": None, "assert_statement": None,
}


_BOOLEAN = frozenset({"boolean_operator", "not_operator", "comparison_operator"})
_NOT_ARITHMETIC = frozenset({"list_splat", "dictionary_splat", "list_splat_pattern", "dictionary_splat_pattern", "union_type",
                             "spread_element", "rest_pattern", "pointer_type", "unary_operator", "unary_expression",
                             "pointer_expression", "generic_type", "type_arguments"})
"""Parents in which ``*``, ``**``, ``|`` or ``-`` are not arithmetic (unpacking, type unions, signs)."""


def _unparenthesized(n: Node) -> Node:
    while n.type == "parenthesized_expression" and n.named_child_count == 1:
        n = n.named_children[0]
    return n


def _inside_boolean(n: Node) -> bool:
    """True when ``n`` is an operand of an enclosing boolean expression (through parentheses)."""
    up = n.parent
    while up is not None and up.type == "parenthesized_expression":
        up = up.parent
    return up is not None and up.type in _BOOLEAN


@dataclass
class Atoms:
    """Behaviour-bearing facts of one side's changed regions (see the module docstring)."""

    calls: dict[str, int] = field(default_factory=dict)
    """Callee name -> first line where it is called."""
    literals: dict[str, int] = field(default_factory=dict)
    clauses: dict[str, int] = field(default_factory=dict)
    conditions: dict[str, tuple[tuple[str, ...], int]] = field(default_factory=dict)
    """Condition stream with clauses replaced by their sorted clause tuple -> (clauses, line)."""
    raises: dict[str, int] = field(default_factory=dict)
    ops: Counter[str] = field(default_factory=Counter)


def _line(n: Node) -> int:
    return n.start_point[0] + 1


def _callee(call: Node) -> str | None:
    fn = call.child_by_field_name("function") or call.child_by_field_name("name") or call.child_by_field_name("method")
    if fn is None:
        return None
    if fn.type in ("attribute", "member_expression", "selector_expression", "field_expression", "scoped_identifier"):
        last = fn.child_by_field_name("attribute") or fn.child_by_field_name("property") or fn.child_by_field_name("field") or fn.child_by_field_name("name")
        return node_text(last) if last is not None else None
    if fn.child_count == 0 and fn.type.endswith("identifier"):
        return node_text(fn)
    return None


def _abstract(tokens: Iterable[str]) -> str:
    """A clause stream with local names abstracted: ``@name`` becomes ``@`` unless it follows
    ``.`` (an attribute or method name), so renamed locals do not count as changed clauses."""
    out: list[str] = []
    prev = ""
    for t in tokens:
        out.append(t if not t.startswith("@") or prev == "." else "@")
        prev = t
    return " ".join(out)


def _leaves(n: Node, neg: bool, out: list[tuple[str, bool]]) -> list[str]:
    """Clauses of a Python condition in negation normal form; returns the connective sequence."""
    t = n.type
    if t == "parenthesized_expression":
        inner = [c for c in n.named_children if not c.is_extra and c.type not in COMMENT_TYPES]
        if len(inner) == 1:
            return _leaves(inner[0], neg, out)
    if t == "not_operator" and n.child_by_field_name("argument") is not None:
        return _leaves(n.child_by_field_name("argument"), not neg, out)  # type: ignore[arg-type]
    if t == "boolean_operator":
        left, right, op = n.child_by_field_name("left"), n.child_by_field_name("right"), n.child_by_field_name("operator")
        if left is not None and right is not None and op is not None:
            word = op.type if not neg else ("or" if op.type == "and" else "and")
            return [*_leaves(left, neg, out), word, *_leaves(right, neg, out)]
    out.append((_abstract(_canonical.canonical(n)), neg))
    return []


def _py_condition(cond: Node) -> tuple[tuple[str, ...], str]:
    leaves: list[tuple[str, bool]] = []
    connectives = _leaves(cond, False, leaves)
    clauses = tuple(_negated_clause(c) if neg else c for c, neg in leaves)
    return clauses, " ".join(connectives)


def _negated_clause(body: str) -> str:
    """The negation of one clause: ``<comparison_operator @ >= integer=5 >`` becomes
    ``<comparison_operator @ < integer=5 >`` (so ``not a >= 5`` and ``a < 5`` are one clause),
    anything else gets a ``not`` prefix."""
    toks = body.split(" ")
    if toks and toks[0] == "<comparison_operator":
        ops = [i for i, t in enumerate(toks) if t in _canonical.NEGATED_COMPARISON]
        depth_ok = [i for i in ops if _depth_at(toks, i) == 1]
        if len(depth_ok) == 1:
            i = depth_ok[0]
            toks[i] = _canonical.NEGATED_COMPARISON[toks[i]]
            return " ".join(toks)
    return "not " + body


def _depth_at(toks: list[str], i: int) -> int:
    depth = 0
    for t in toks[:i]:
        if t.startswith("<"):
            depth += 1
        elif t == ">":
            depth -= 1
    return depth


MEMO_BYTES = 400
"""Statements of Python blocks at least this long are memoized by :func:`atoms` (shorter ones cost
less to walk again than to look up)."""

AtomsMemo = dict[tuple[str | None, bool, str, bytes], tuple["Atoms", int]]
"""Atoms of error-free region nodes by ``(lang, strings_free, node type, node text)``, with the
node's first row (see :func:`atoms`)."""


def atoms(nodes: Iterable[Node], lang: str | None, *, strings_free: bool, memo: AtomsMemo | None = None) -> Atoms:
    """The :class:`Atoms` of ``nodes`` (one side's changed regions) in ``lang``.

    ``memo`` (shared by the base and head calls of one file): a node without syntax errors whose
    type and text were met before gets the atoms found then, with their lines moved by the rows
    between the two nodes. The hunks' context lines make the statements next to a change regions
    of both sides, with the same text: each such statement is walked once, not twice. A node's
    atoms depend only on its own subtree (the statements regions holds sit in blocks, never in a
    boolean or arithmetic expression), so the answer is the same."""
    a = Atoms()
    for root in nodes:
        _add(a, *_memoized(root, lang, strings_free, memo))
    return a


def _memoized(node: Node, lang: str | None, strings_free: bool, memo: AtomsMemo | None) -> tuple[Atoms, int]:
    """``(atoms, row shift)`` of ``node`` (a statement or region), from ``memo`` when a node of the
    same type and text was walked before (see :func:`atoms`)."""
    if memo is None or node.has_error:
        return _walk(node, lang, strings_free, memo), 0
    text = node.text
    if text is None:  # pragma: no cover - nodes of a parsed tree have text
        return _walk(node, lang, strings_free, memo), 0
    key = (lang, strings_free, node.type, text)
    row = node.start_point[0]
    found = memo.get(key)
    if found is None:
        found = memo[key] = (_walk(node, lang, strings_free, memo), row)
    return found[0], row - found[1]


def _add(out: Atoms, more: Atoms, shift: int) -> None:
    """Add ``more`` (its lines moved by ``shift``) after what ``out`` holds: first lines kept."""
    for mine, theirs in ((out.calls, more.calls), (out.literals, more.literals), (out.clauses, more.clauses),
                         (out.raises, more.raises)):
        for k, v in theirs.items():
            if k not in mine:
                mine[k] = v + shift
    for k, (clauses, line) in more.conditions.items():
        if k not in out.conditions:
            out.conditions[k] = (clauses, line + shift)
    out.ops.update(more.ops)


def _walk(root: Node, lang: str | None, strings_free: bool, memo: AtomsMemo | None = None) -> Atoms:
    """The :class:`Atoms` of one region node. With ``memo``, each statement of a Python block is
    taken through :func:`_memoized`, in the place the walk would visit it (its subtree is visited
    as one stretch of the walk, so first lines come out the same)."""
    py = lang == "python"
    a = Atoms()
    stack: list[Node | tuple[Atoms, int]] = [root]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):  # a memoized statement's atoms, added where the walk reaches it
            _add(a, *n)
            continue
        t = n.type
        if n.is_extra or t in COMMENT_TYPES:
            continue
        if memo is not None and py and t == "block":
            stack.extend(_memoized(c, lang, strings_free, memo) if c.end_byte - c.start_byte >= MEMO_BYTES else c
                         for c in reversed(n.children))
            continue
        if py and (t == "type" or (t == "expression_statement" and _syntax.is_docstring(n))):
            continue  # annotations and docstrings do not run
        if t in _CALL_TYPES:
            name = _callee(n)
            if name and name not in a.calls:
                a.calls[name] = _line(n)
        if t in STRING_TYPES:
            if not strings_free and (text := node_text(n)) not in a.literals:
                a.literals[text] = _line(n)
            stack.extend(c for c in n.named_children if c.type in ("interpolation", "template_substitution"))
            continue
        if n.child_count == 0:
            if t in _LITERAL_LEAVES or _canonical.is_number_type(t):
                if (text := node_text(n)) not in a.literals:
                    a.literals[text] = _line(n)
            elif not n.is_named and t in _CONDITION_OPS and not py:
                a.ops[t] += 1
            elif not n.is_named and t in _ARITHMETIC_OPS and n.parent is not None and n.parent.type not in _NOT_ARITHMETIC:
                a.ops[_ARITHMETIC_OPS[t]] += 1
            continue  # a leaf (a token) is no raise, condition or boolean expression, and has no children
        if py and t == "raise_statement":
            exc = n.named_children[0] if n.named_children else None
            if exc is not None and exc.type == "call":
                exc = exc.child_by_field_name("function")
            a.raises.setdefault(node_text(exc) if exc is not None else "<re-raise>", _line(n))
        cond = None
        if py and t in _BOOLEAN and not _inside_boolean(n):
            cond = n  # a boolean expression anywhere: `if`, `while`, `return a and b`, `x = not y`
        elif py and t in _PY_CONDITIONS:
            fname = _PY_CONDITIONS[t]
            cond = n.child_by_field_name(fname) if fname else None
            if cond is None and t == "conditional_expression" and len(n.named_children) == 3:
                cond = n.named_children[1]
            elif cond is None and t in ("if_clause", "assert_statement") and n.named_children:
                cond = n.named_children[0]
            if cond is not None and _unparenthesized(cond).type in _BOOLEAN:
                cond = None  # recorded where the boolean expression itself is visited
        if cond is not None:
            clauses, connectives = _py_condition(cond)
            for c in clauses:
                a.clauses.setdefault(c, _line(cond))
            a.conditions.setdefault(" ".join(sorted(clauses)) + " | " + connectives, (tuple(sorted(clauses)), _line(cond)))
        stack.extend(reversed(n.children))
    return a


Evidence = list[tuple[str, int | None]]
"""Sentences saying what changed, each with the head line it is about (None: removed code)."""


def _short(s: str, n: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _clause_text(c: str) -> str:
    return _short(c.replace("<comparison_operator ", "").replace("<", "").replace(" >", "").replace("@ . @", "."), 50)


def merge(items: Iterable[Atoms]) -> Atoms:
    """The union of several files' atoms (first lines kept, operator counts added)."""
    out = Atoms()
    for a in items:
        for mine, theirs in ((out.calls, a.calls), (out.literals, a.literals), (out.clauses, a.clauses), (out.raises, a.raises)):
            for k, v in theirs.items():
                mine.setdefault(k, v)
        for k, cv in a.conditions.items():
            out.conditions.setdefault(k, cv)
        out.ops.update(a.ops)
    return out


def evidence(base: Atoms, head: Atoms, internal: set[str], *, all_base: Atoms | None = None, all_head: Atoms | None = None) -> Evidence:
    """What plausibly changed behaviour between ``base`` and ``head`` (one file; empty: nothing
    found). ``internal`` holds names defined in the changed files (calls to them are not
    evidence). ``all_base``/``all_head`` (every changed file merged, see :func:`merge`): a call,
    literal, clause or raise that only moved to another file of the change is not evidence."""
    gb, gh = all_base or base, all_head or head
    out: Evidence = []
    skip = internal | PURE_BUILTINS
    new_calls = [c for c in head.calls if c not in base.calls and c not in gb.calls and c not in skip]
    gone_calls = [c for c in base.calls if c not in head.calls and c not in gh.calls and c not in skip]
    if new_calls:
        out.append((f"new call{'s' if len(new_calls) > 1 else ''} to {_names(new_calls)}", head.calls[new_calls[0]]))
    if gone_calls:
        out.append((f"no longer calls {_names(gone_calls)}", None))
    new_lit = [x for x in head.literals if x not in base.literals and x not in gb.literals]
    gone_lit = [x for x in base.literals if x not in head.literals and x not in gh.literals]
    if new_lit or gone_lit:
        parts = ([f"adds {_names(new_lit)}"] if new_lit else []) + ([f"drops {_names(gone_lit)}"] if gone_lit else [])
        out.append(("literal values changed: " + ", ".join(parts), head.literals[new_lit[0]] if new_lit else None))
    new_cl = [c for c in head.clauses if c not in base.clauses and c not in gb.clauses]
    gone_cl = [c for c in base.clauses if c not in head.clauses and c not in gh.clauses]
    if new_cl or gone_cl:
        parts = ([f"new `{_clause_text(c)}`" for c in new_cl[:2]]) + ([f"dropped `{_clause_text(c)}`" for c in gone_cl[:2]])
        out.append(("conditions changed: " + ", ".join(parts), head.clauses[new_cl[0]] if new_cl else None))
    else:
        base_sets = {clauses for clauses, _ in gb.conditions.values()}
        swapped = [(k, v) for k, v in head.conditions.items() if k not in gb.conditions and v[0] in base_sets]
        if swapped:
            out.append(("`and`/`or` swapped in a condition", swapped[0][1][1]))
    new_raise = [r for r in head.raises if r not in base.raises and r not in gb.raises]
    gone_raise = [r for r in base.raises if r not in head.raises and r not in gh.raises]
    if gone_raise:
        out.append((f"no longer raises {_names(gone_raise)}", None))
    if new_raise:
        out.append((f"now raises {_names(new_raise)}", head.raises[new_raise[0]]))
    ops = [op for op in set(base.ops) | set(head.ops) if base.ops[op] != head.ops[op] and gb.ops[op] != gh.ops[op]]
    if ops:
        out.append((f"operators changed: {_names(sorted(ops))}", None))
    return out


EQUIVALENT_FORMS = frozenset({"sum", "min", "max", "get", "setdefault", "startswith", "endswith", "count", "index", "str"})
"""Calls that idiomatic rewrites introduce or drop with the same output (a loop -> ``sum()``, ``in`` +
index -> ``dict.get``, a manual loop -> ``str.join``): on their own they are weak evidence."""


def strong_evidence(base: Atoms, head: Atoms, internal: set[str], *, all_base: Atoms | None = None,
                    all_head: Atoms | None = None) -> bool:
    """True when :func:`evidence` includes something an output-preserving rewrite does not produce:
    a call to an outside function (not a builtin, an idiomatic equivalent or a helper of the
    change) added or removed, an exception raised or no longer raised, or ``and``/``or`` swapped
    over the same clauses. Changed literals, condition clauses and operators alone are what loops
    becoming comprehensions, ``if`` chains becoming ``dict.get`` and ``True``/``False`` returns
    becoming boolean expressions look like: weak evidence."""
    gb, gh = all_base or base, all_head or head
    skip = internal | PURE_BUILTINS | EQUIVALENT_FORMS
    if any(c not in base.calls and c not in gb.calls and c not in skip for c in head.calls):
        return True
    if any(c not in head.calls and c not in gh.calls and c not in skip for c in base.calls):
        return True
    if any(r not in base.raises and r not in gb.raises for r in head.raises):
        return True
    if any(r not in head.raises and r not in gh.raises for r in base.raises):
        return True
    base_sets = {clauses for clauses, _ in gb.conditions.values()}
    new_cl = [c for c in head.clauses if c not in base.clauses and c not in gb.clauses]
    gone_cl = [c for c in base.clauses if c not in head.clauses and c not in gh.clauses]
    return not new_cl and not gone_cl and any(k not in gb.conditions and v[0] in base_sets for k, v in head.conditions.items())


def _names(items: list[str], n: int = 3) -> str:
    shown = ", ".join(f"`{_short(x, 40)}`" for x in items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


def signature_changes(
    base: Node | None, head: Node | None, lang: str, callers_updated: Callable[[str], bool], *, cache: dict | None = None,
) -> Evidence:
    """Public functions (name not starting with ``_``) whose parameter list changed while
    ``callers_updated(name)`` is False."""
    if base is None or head is None:
        return []
    py = lang == "python"
    bdefs, hdefs = _syntax.definitions(base, lang, cache=cache), _syntax.definitions(head, lang, cache=cache)
    out: Evidence = []
    for qual, hd in hdefs.items():
        bd = bdefs.get(qual)
        name = qual.split("#")[0].rsplit(".", 1)[-1]
        if bd is None or name.startswith("_"):
            continue
        bp, hp = bd.node.child_by_field_name("parameters"), hd.node.child_by_field_name("parameters")
        if bp is None or hp is None:
            continue
        if _canonical.canonical(bp, python=py) != _canonical.canonical(hp, python=py) and not callers_updated(name):
            out.append((f"the parameters of public `{qual.split('#')[0]}` changed and no caller was updated", hd.start))
    return out
