"""Canonical token streams for the intent and logic agents (Python first, other tree-sitter
languages where the same idea applies): reduce code to a stream that ignores formatting, see
extract/inline-function refactors through small helpers, and compare two revisions. Tree access
and navigation are in :mod:`subagents._syntax`.

Canonical stream: a pre-order walk of the tree-sitter tree emitting ``<type`` / ``>`` around
inner nodes, ``@name`` for identifiers, ``type=text`` for other named leaves, ``S:content`` for
string literals (quote style and prefix case normalized) and the operator text for anonymous
leaves. Dropped: comments and other "extra" nodes, Python docstrings, the commas, semicolons and
brackets (the node types already encode structure, so trailing commas and bracket layout
disappear), and parentheses around a single expression (the tree already encodes precedence).
So two revisions with equal streams differ only in layout, comments, docstrings, quote style and
redundant parentheses — which is what formatters such as black change.

Pure: operates on bytes and trees; parsing goes through :mod:`bot.core.treesitter`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from tree_sitter import Node, Tree

from bot.core.changeset import ChangedFiles

from subagents._syntax import (
    COMMENT_TYPES,
    Definition,
    PAREN_TYPES,
    Ranges,
    STRING_TYPES,
    _name,
    definitions,
    find,
    is_docstring,
    is_generator,
    iter_nodes,
    node_text,
    own_nodes,
    parse_bytes,
    regions,
)

_DROPPED_PUNCT = frozenset({",", ";", "(", ")", "[", "]", "{", "}"})
_NUMBER_HINTS = ("integer", "float", "number", "int_literal", "float_literal", "imaginary")


@lru_cache(maxsize=None)
def is_number_type(node_type: str) -> bool:
    """True for a node type that names a number literal (holds one of ``_NUMBER_HINTS``); answered
    once per type (grammars have a few hundred)."""
    return any(h in node_type for h in _NUMBER_HINTS)

_STRING_RE = re.compile(r"^([A-Za-z]{0,3})(\"\"\"|'''|\"|'|`)(.*)\2$", re.DOTALL)
class Level(IntEnum):
    """How much two revisions of a file differ, from the canonical streams."""

    same = 0
    """Only layout, comments, docstrings, quote style or redundant parentheses changed."""
    renamed = 1
    """Equal up to a consistent one-to-one renaming of identifiers."""
    changed = 2
    """Anything else: the code does something different (or may)."""


@dataclass(frozen=True)
class Comparison:
    """Result of comparing the base and head text of one file.

    ``parsed`` is False when no parser was used (unknown language, parse errors, too large): the
    comparison was then a whitespace- and comment-insensitive line compare, which cannot see renames.
    ``renames`` lists the ``(old, new)`` identifier pairs when ``level`` is ``renamed``.
    """

    level: Level
    parsed: bool
    renames: tuple[tuple[str, str], ...] = ()


def _normal_string(text: str) -> str:
    m = _STRING_RE.match(text)
    if not m:
        return text
    prefix = m.group(1).lower().replace("u", "")
    return "".join(sorted(prefix)) + ":" + m.group(3)


_OPEN, _SILENT, _SKIP = 0, 1, 2
_PY_ANNOTATION_FIELDS = frozenset({"type", "return_type"})
"""Python fields holding type annotations: not evaluated for behaviour (PEP 563/649), so dropped."""
_PY_SAME_AS = {"expression_list": "tuple", "pattern_list": "tuple_pattern", "typed_default_parameter": "default_parameter"}
"""Python node types that mean the same at run time: ``return a, b`` and ``return (a, b)``."""
_INTERPOLATIONS = frozenset({"interpolation", "template_substitution"})
"""Code inside string literals: Python f-string ``{...}`` fields, JavaScript ``${...}``."""
NEGATED_COMPARISON = {
    "<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "==",
    "in": "not in", "not in": "in", "is": "is not", "is not": "is",
}
"""``not (a OP b)`` is ``a NEG b`` (for the total orders Python code compares in practice)."""
_PARAM = "\x00P:"
"""Prefix of a parameter placeholder in a :class:`Helper` body (never in a finished stream)."""


@dataclass(frozen=True)
class Helper:
    """A small Python function whose calls :func:`canonical` can replace by its body, so that
    extracting or inlining a function compares equal to the code before.

    ``params``: positional parameter names (``self``/``cls`` dropped for methods); ``expr``: the
    canonical stream of the one expression it returns, or ``stmts``: the streams of its body
    statements when it returns nothing; ``method``: called as ``self.name(...)``. Body streams hold
    parameter placeholders, substituted by the call's arguments.
    """

    name: str
    params: tuple[str, ...]
    expr: tuple[str, ...] | None
    stmts: tuple[str, ...] | None
    method: bool


def canonical(
    node: Node, *, python: bool = True, blank_strings: bool = False,
    inline: dict[str, Helper] | None = None, _params: frozenset[str] = frozenset(), _depth: int = 0,
    _opaque: frozenset[int] = frozenset(), _splice: dict[int, list[str]] | None = None,
) -> list[str]:
    """The canonical token stream of ``node`` (see the module docstring).

    ``python`` enables the Python specifics: docstrings and type annotations (parameter, return
    and variable annotations) are dropped, ``a, b`` equals ``(a, b)``, colons are kept only in
    slices (elsewhere the node types say where they were), and boolean expressions are written in
    negation normal form (``not (a or b)`` equals ``not a and not b``, ``not x >= 5`` equals
    ``x < 5``, ``not x in y`` equals ``x not in y``). ``blank_strings`` replaces every string
    literal by the token ``S`` (used to check "typo" claims, where string contents may change
    freely); code inside f-strings and template literals is kept either way. ``inline`` (Python):
    calls of these helpers are replaced by their bodies with the arguments substituted (see
    :func:`helpers`). ``_splice`` (node id -> tokens): the stream of such a node, already known
    (see :class:`StreamMemo`), is copied instead of walked.
    """
    out: list[str] = []

    def sub(n: Node, params: frozenset[str] = _params) -> list[str]:
        return canonical(n, python=python, blank_strings=blank_strings, inline=inline, _params=params, _depth=_depth)

    def visit(n: Node, field: str | None) -> int:
        t = n.type
        if _opaque and n.id in _opaque:
            return _SKIP
        if _splice:
            known = _splice.get(n.id)
            if known is not None:
                out.extend(known)
                return _SKIP
        if n.is_extra or t in COMMENT_TYPES:
            return _SKIP
        if python and field in _PY_ANNOTATION_FIELDS:
            return _SKIP
        if not n.is_named:
            if t in _DROPPED_PUNCT:
                return _SKIP
            if python and t in (":", "->") and not (t == ":" and n.parent is not None and n.parent.type == "slice"):
                return _SKIP
            out.append(t)
            return _SKIP
        if python and t == "typed_parameter":
            return _SILENT
        if t in STRING_TYPES:
            out.extend(_string_tokens(n, blank_strings, sub))
            return _SKIP
        if python and t == "expression_statement" and is_docstring(n):
            return _SKIP
        if python and inline and t == "function_definition" and n.id != node.id and _name(n) in inline:
            return _SKIP  # the helper's own definition: its calls stand for it
        if python and inline and _depth < 3:
            got = _inlined(n, inline, sub, python, blank_strings, _depth)
            if got is not None:
                out.extend(got)
                return _SKIP
        if python and t in ("not_operator", "boolean_operator"):
            out.extend(_nnf(n, False, sub))
            return _SKIP
        if t in PAREN_TYPES and n.named_child_count == 1:
            return _SILENT
        if n.child_count == 0:
            text = node_text(n)
            if t.endswith("identifier"):
                if text in _params and field not in ("attribute", "name"):
                    out.append(_PARAM + text)
                else:
                    out.append("@" + text)
            elif is_number_type(t):
                out.append(t + "=" + text.lower().replace("_", ""))
            else:
                out.append(t + "=" + text)
            return _SKIP
        out.append("<" + (_PY_SAME_AS.get(t, t) if python else t))
        return _OPEN

    cur = node.walk()
    opened: list[bool] = []
    while True:
        action = visit(cur.node, cur.field_name)
        if action != _SKIP:
            if cur.goto_first_child():
                opened.append(action == _OPEN)
                continue
            if action == _OPEN:
                out.append(">")
        while not cur.goto_next_sibling():
            if not opened or not cur.goto_parent():
                return out
            if opened.pop():
                out.append(">")


def differs(a: Node, b: Node, *, python: bool = True, blank_strings: bool = False) -> bool:
    """``canonical(a) != canonical(b)`` (no inlining; ``blank_strings`` as there), for definitions
    ``a`` and ``b`` of two error-free trees, at a cost that follows the changed statements of their
    bodies.

    Statements of ``a``'s and ``b``'s bodies (``body`` field) with the same source text, node
    type, parent type and docstring role are paired: each pair contributes the same tokens to
    both streams (a stream depends only on the node's own subtree, its field and, for a
    docstring, its place; see :func:`subagents._syntax.same_source`). Leaving the pairs out, when
    the streams' lengths differ the full streams differ; otherwise the full streams decide."""
    pairs = _paired_statements(a, b)
    if pairs:
        left = len(canonical(a, python=python, blank_strings=blank_strings, _opaque=frozenset(x.id for x, _ in pairs)))
        right = len(canonical(b, python=python, blank_strings=blank_strings, _opaque=frozenset(y.id for _, y in pairs)))
        if left != right:
            return True
    return canonical(a, python=python, blank_strings=blank_strings) != canonical(b, python=python, blank_strings=blank_strings)


def _paired_statements(a: Node, b: Node) -> list[tuple[Node, Node]]:
    """Children of ``a``'s and ``b``'s ``body`` nodes paired by (text, type, docstring role), in
    order; none when either has no body or a child has a field name (see :func:`differs`)."""
    body_a, body_b = a.child_by_field_name("body"), b.child_by_field_name("body")
    if body_a is None or body_b is None or body_a.type != body_b.type:
        return []
    body_a, body_b = _statement_holder(body_a), _statement_holder(body_b)
    if body_a.type != body_b.type:
        return []
    if any(body.field_name_for_child(i) is not None for body in (body_a, body_b) for i in range(body.child_count)):
        return []
    waiting: dict[tuple[bytes | None, str, bool], list[Node]] = {}
    for child in body_a.children:
        waiting.setdefault((child.text, child.type, is_docstring(child)), []).append(child)
    pairs: list[tuple[Node, Node]] = []
    for child in body_b.children:
        queue = waiting.get((child.text, child.type, is_docstring(child)))
        if queue:
            pairs.append((queue.pop(0), child))
    return pairs


def _statement_holder(body: Node) -> Node:
    """The node whose children are the statements of ``body``: ``body`` itself, or the one
    ``statement_list`` of a Go ``block`` (whose other children are its braces: paired alone, they
    would leave every statement to the full streams)."""
    if body.type == "block":
        lists = [c for c in body.named_children if c.type == "statement_list"]
        if len(lists) == 1:
            return lists[0]
    return body


def _string_tokens(n: Node, blank: bool, sub: Callable[[Node], list[str]]) -> list[str]:
    """A string literal: one ``S...`` token, followed by the canonical streams of the code in its
    interpolations (f-string fields, template substitutions), each inside ``<interpolation ... >``."""
    fields = [c for c in n.children if c.type in _INTERPOLATIONS]
    if not fields:
        return ["S" if blank else "S" + _normal_string(node_text(n))]
    if blank:
        head = "S"
    else:
        parts = [("{}" if c.type in _INTERPOLATIONS else node_text(c)) for c in n.children]
        head = "S" + _normal_string("".join(parts))
    out = [head]
    for f in fields:
        out.append("<interpolation")
        for c in f.named_children:
            if not c.is_extra and c.type not in COMMENT_TYPES:
                out.extend(sub(c) if c.type not in ("format_specifier", "type_conversion") else [c.type + "=" + node_text(c)])
        out.append(">")
    return out


def _nnf(n: Node, neg: bool, sub: Callable[[Node], list[str]]) -> list[str]:
    """Python boolean expression ``n`` (negated when ``neg``) in negation normal form."""
    t = n.type
    if t == "parenthesized_expression":
        inner = [c for c in n.named_children if not c.is_extra and c.type not in COMMENT_TYPES]
        if len(inner) == 1:
            return _nnf(inner[0], neg, sub)
    if t == "not_operator":
        arg = n.child_by_field_name("argument")
        if arg is not None:
            return _nnf(arg, not neg, sub)
    if t == "boolean_operator":
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        op = n.child_by_field_name("operator")
        if left is not None and right is not None and op is not None:
            word = op.type
            if neg:
                word = "or" if word == "and" else "and"
            return ["<boolean_operator", *_nnf(left, neg, sub), word, *_nnf(right, neg, sub), ">"]
    if neg and t == "comparison_operator":
        operands = [c for c in n.named_children if not c.is_extra and c.type not in COMMENT_TYPES]
        ops = [c.type for c in n.children if not c.is_named]
        if len(operands) == 2 and len(ops) == 1 and ops[0] in NEGATED_COMPARISON:
            return ["<comparison_operator", *sub(operands[0]), NEGATED_COMPARISON[ops[0]], *sub(operands[1]), ">"]
    if neg:
        return ["<not_operator", "not", *sub(n), ">"]
    if t in ("not_operator", "boolean_operator"):  # malformed: no fields
        return ["<" + t, *[tok for c in n.named_children for tok in sub(c)], ">"]
    return sub(n)


def _call_target(call: Node, inline: dict[str, Helper]) -> Helper | None:
    fn = call.child_by_field_name("function")
    if fn is None:
        return None
    if fn.type == "identifier":
        h = inline.get(node_text(fn))
        return h if h is not None and not h.method else None
    if fn.type == "attribute":
        obj, attr = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
        if obj is not None and attr is not None and obj.type == "identifier" and node_text(obj) in ("self", "cls"):
            h = inline.get(node_text(attr))
            return h if h is not None and h.method else None
    return None


def _arguments(call: Node, helper: Helper) -> list[Node] | None:
    """The call's arguments in parameter order, or None unless they bind every parameter exactly."""
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "argument_list":
        return None
    positional: list[Node] = []
    named: dict[str, Node] = {}
    for a in args.named_children:
        if a.is_extra or a.type in COMMENT_TYPES:
            continue
        if a.type == "keyword_argument":
            name, value = a.child_by_field_name("name"), a.child_by_field_name("value")
            if name is None or value is None:
                return None
            named[node_text(name)] = value
        elif a.type in ("list_splat", "dictionary_splat", "parenthesized_list_splat"):
            return None
        elif named:
            return None
        else:
            positional.append(a)
    if len(positional) > len(helper.params):
        return None
    bound = dict(zip(helper.params, positional, strict=False))
    for k, v in named.items():
        if k in bound or k not in helper.params:
            return None
        bound[k] = v
    if len(bound) != len(helper.params):
        return None
    return [bound[p] for p in helper.params]


def _inlined(n: Node, inline: dict[str, Helper], sub: Callable[..., list[str]], python: bool, blank: bool, depth: int) -> list[str] | None:
    """The stream replacing ``n`` when it is a call of an ``inline`` helper (an expression helper
    anywhere, a statement helper as a whole expression statement); None otherwise."""
    call = n
    if n.type == "expression_statement":
        kids = [c for c in n.named_children if not c.is_extra and c.type not in COMMENT_TYPES]
        if len(kids) != 1 or kids[0].type != "call":
            return None
        call = kids[0]
    elif n.type != "call":
        return None
    helper = _call_target(call, inline)
    if helper is None:
        return None
    body = helper.stmts if n.type == "expression_statement" else helper.expr
    if body is None:
        return None
    args = _arguments(call, helper)
    if args is None:
        return None
    values = {p: canonical(a, python=python, blank_strings=blank, inline=inline, _depth=depth + 1) for p, a in zip(helper.params, args, strict=True)}
    out: list[str] = []
    for tok in body:
        if tok.startswith(_PARAM):
            out.extend(values[tok[len(_PARAM):]])
        else:
            out.append(tok)
    return out


def helpers(root: Node, *, blank_strings: bool = False, only: set[str] | None = None) -> dict[str, Helper]:
    """Small Python functions and methods of ``root`` (undecorated, plain positional parameters,
    no generators or nested definitions) whose body is one ``return EXPR``, or statements that
    return nothing: name -> :class:`Helper`. Used to see extract-function / inline-function
    refactors as no change (pass the helpers that exist on only one side as ``inline``).
    ``only`` limits the search to these names."""
    return _helpers_of(find(root, "python", frozenset({"function_definition"})), blank_strings, only)


def _helpers_of(functions: list[Node], blank_strings: bool, only: set[str] | None) -> dict[str, Helper]:
    """:func:`helpers` among ``functions`` (function definitions of one tree, in document order)."""
    out: dict[str, Helper] = {}
    seen: set[str] = set()
    for fn in functions:
        name_node = fn.child_by_field_name("name")
        if name_node is None:
            continue
        key = node_text(name_node)
        if only is not None and key not in only:
            continue
        if key in seen:  # defined twice: ambiguous
            out.pop(key, None)
            continue
        seen.add(key)
        helper = _helper(fn, key, blank_strings)
        if helper is not None:
            out[key] = helper
    return out


def _helper(fn: Node, key: str, blank_strings: bool) -> Helper | None:
    if fn.parent is not None and fn.parent.type == "decorated_definition":
        return None
    params_node, body = fn.child_by_field_name("parameters"), fn.child_by_field_name("body")
    if params_node is None or body is None:
        return None
    in_class = fn.parent is not None and fn.parent.type == "block" and fn.parent.parent is not None and fn.parent.parent.type == "class_definition"
    params: list[str] = []
    for p in params_node.named_children:
        if p.type == "identifier":
            params.append(node_text(p))
        elif p.type == "typed_parameter" and p.named_children and p.named_children[0].type == "identifier":
            params.append(node_text(p.named_children[0]))
        elif p.type not in COMMENT_TYPES:
            return None
    if in_class and (not params or params[0] not in ("self", "cls")):
        return None
    if in_class:
        params = params[1:]
    stmts = [c for c in body.named_children if not c.is_extra and c.type not in COMMENT_TYPES and not is_docstring(c)]
    if not stmts or len(stmts) > 20 or is_generator(fn) or _holds_definitions(body):
        return None
    pset = frozenset(params)
    if len(stmts) == 1 and stmts[0].type == "return_statement" and stmts[0].named_children:
        return Helper(key, tuple(params), tuple(canonical(stmts[0].named_children[0], blank_strings=blank_strings, _params=pset)), None, in_class)
    if not own_nodes(fn, frozenset({"return_statement"})):
        return Helper(key, tuple(params), None, tuple(t for st in stmts for t in canonical(st, blank_strings=blank_strings, _params=pset)), in_class)
    return None


def _holds_definitions(body: Node) -> bool:
    """True when Python ``body`` holds a function, class or lambda (at any depth); a body whose text
    has none of their keywords holds none and is not walked."""
    text = body.text
    if text is not None and b"def" not in text and b"class" not in text and b"lambda" not in text:
        return False
    return any(True for _ in iter_nodes(body, frozenset({"function_definition", "class_definition", "lambda"})))


def one_sided_helpers(
    base: Node | None, head: Node | None, *, blank_strings: bool = False, cache: dict | None = None,
) -> tuple[dict[str, Helper], dict[str, Helper]]:
    """``(base-only, head-only)`` :func:`helpers` of two revisions of a Python file: functions
    that an inline-function refactor removed, and those an extract-function refactor added
    (by simple name). Only those functions are examined, found among the :func:`definitions` of
    each root (the functions :func:`helpers` would find, in the same order), so the whole cost is
    two :func:`definitions` walks (``cache``: see :func:`definitions`) and the one-sided functions."""
    bdefs = definitions(base, "python", cache=cache) if base is not None else {}
    hdefs = definitions(head, "python", cache=cache) if head is not None else {}
    bnames = {q.split("#")[0].rsplit(".", 1)[-1] for q in bdefs}
    hnames = {q.split("#")[0].rsplit(".", 1)[-1] for q in hdefs}
    base_only, head_only = bnames - hnames, hnames - bnames
    b = _helpers_of(_functions_of(bdefs), blank_strings, base_only) if base_only else {}
    h = _helpers_of(_functions_of(hdefs), blank_strings, head_only) if head_only else {}
    return b, h


def _functions_of(defs: dict[str, Definition]) -> list[Node]:
    """The ``function_definition`` nodes of :func:`definitions`, in document order."""
    return sorted((d.node for d in defs.values() if d.node.type == "function_definition"), key=lambda n: n.start_byte)


def called_helpers(
    base_only: dict[str, Helper], head_only: dict[str, Helper], removed: list[str], added: list[str],
) -> tuple[dict[str, Helper], dict[str, Helper]]:
    """Keep the one-sided helpers that the change actually inlined or extracted: a base-only
    helper called on some ``removed`` line, a head-only one called on some ``added`` line (lines of
    the diff, all files). A function that is merely deleted or added is not a helper: comparing
    it away would hide the removal or addition of an API."""

    def called(name: str, lines: list[str]) -> bool:
        rx = re.compile(r"\b" + re.escape(name) + r"\s*\(")
        return any(rx.search(ln) and not ln.lstrip().startswith(("def ", "async def ")) for ln in lines)

    return ({k: v for k, v in base_only.items() if called(k, removed)},
            {k: v for k, v in head_only.items() if called(k, added)})


class StreamMemo:
    """The :func:`canonical` stream of a whole node, computed once per review: the logic agent
    streams the same changed functions in three places (their returns, whether the file's
    behaviour changed, which functions changed). Keyed by the node (a tree-sitter node compares
    equal only to itself in the same tree) and the arguments, ``inline`` by identity. The streams
    are shared: callers only read them. Not thread-safe (one agent's checks run one after another).

    For a node of an error-free tree of a named grammar (``language``), the streams of its statements (and of other
    large parts without a field name, see :func:`_splice_candidates`) are also kept by source
    text, type and docstring role, and copied into every stream that holds an equal part: in an
    error-free tree such a part's stream depends only on its own subtree and docstring role (see
    :func:`subagents._syntax.same_source`), so the unchanged statements of a base and a head
    function, or of a function and the region around it, are walked once. A part whose text
    mentions a helper of ``inline`` is walked in place (its calls are inlined on one side only).

    One memo serves all the agents of a review (:func:`review_streams`); used from several threads
    at once, a stream may be computed twice, never wrongly (each dict read or write is atomic, and
    an entry is stored whole)."""

    def __init__(self) -> None:
        self._streams: dict[tuple[Node, bool, bool, int], tuple[object, list[str]]] = {}
        self._by_text: dict[tuple[bytes, str, bool, bool, bool, str], list[str]] = {}

    def stream(self, node: Node, *, python: bool = True, blank_strings: bool = False,
               inline: dict[str, Helper] | None = None, language: str | None = None) -> list[str]:
        """``canonical(node, python=python, blank_strings=blank_strings, inline=inline)``, once.
        ``language``: the grammar of ``node``'s tree, which the caller knows to be error-free (its
        parts' streams are then shared by text); None: walked whole."""
        key = (node, python, blank_strings, id(inline))
        got = self._streams.get(key)
        if got is None or got[0] is not inline:
            if language is not None:
                names = tuple(n.encode() for n in inline) if inline else ()
                tokens = self._spliced(node, python, blank_strings, inline, names, language)
            else:
                tokens = canonical(node, python=python, blank_strings=blank_strings, inline=inline)
            got = (inline, tokens)
            self._streams[key] = got
        return got[1]

    def _spliced(self, node: Node, python: bool, blank: bool, inline: dict[str, Helper] | None,
                 names: tuple[bytes, ...], language: str) -> list[str]:
        """The stream of ``node`` (error-free tree) with its :func:`_splice_candidates` copied from
        (or added to) the by-text memo."""
        splice: dict[int, list[str]] = {}
        for part in _splice_candidates(node, python):
            text = part.text
            if text is None or any(name in text for name in names):
                continue
            key = (text, part.type, python and is_docstring(part), python, blank, language)
            known = self._by_text.get(key)
            if known is None:
                known = self._spliced(part, python, blank, None, (), language)  # mentions no helper: inlining changes nothing
                self._by_text[key] = known
            splice[part.id] = known
        return canonical(node, python=python, blank_strings=blank, inline=inline, _splice=splice or None)


def review_streams(files: ChangedFiles) -> StreamMemo:
    """The review's :class:`StreamMemo`, kept in its parse-once view ``ctx.files``: the logic and
    intent agents stream the same changed functions and regions."""
    return files.memo("subagents._canonical.StreamMemo", StreamMemo)  # type: ignore[no-any-return]


SPLICE_MIN_BYTES = 64
"""Parts of a node shorter than this are walked in place rather than kept by text (cost only)."""
_SPLICE_DEPTH = 3
_NOT_SPLICED = frozenset({"type", "return_type"})
"""Python annotation fields: dropped from streams, so never worth streaming."""


def _splice_candidates(node: Node, python: bool) -> list[Node]:
    """Named parts of ``node`` of :data:`SPLICE_MIN_BYTES` or more that have no field name in
    their parent (statements of a body, members of a class, the statement list of a Go block),
    found through parts that have a field name (``body``, ``consequence``...), at most
    :data:`_SPLICE_DEPTH` levels down; none inside a candidate. Which parts are candidates
    changes cost only: a part without a field name is streamed the same inside ``node`` and on
    its own (for its docstring role, see :class:`StreamMemo`)."""
    out: list[Node] = []
    level = [node]
    for _ in range(_SPLICE_DEPTH):
        below: list[Node] = []
        for n in level:
            if n.type in STRING_TYPES:
                continue
            for i, child in enumerate(n.children):
                if not child.is_named or child.is_extra or child.end_byte - child.start_byte < SPLICE_MIN_BYTES:
                    continue
                field = n.field_name_for_child(i)
                if field is None:
                    if child.type not in COMMENT_TYPES:
                        out.append(child)
                elif not (python and field in _NOT_SPLICED):
                    below.append(child)
        if not below:
            break
        level = below
    return out


def rename_map(a: list[str], b: list[str]) -> dict[str, str] | None:
    """When streams ``a`` and ``b`` are equal up to a consistent one-to-one renaming of identifiers,
    the renaming ``{old: new}`` restricted to changed names (possibly empty); otherwise None."""
    if len(a) != len(b):
        return None
    fwd: dict[str, str] = {}
    bwd: dict[str, str] = {}
    for x, y in zip(a, b, strict=True):
        if x == y and not x.startswith("@"):
            continue
        if not (x.startswith("@") and y.startswith("@")):
            return None
        if fwd.setdefault(x, y) != y or bwd.setdefault(y, x) != x:
            return None
    return {k[1:]: v[1:] for k, v in fwd.items() if k != v}


def edit_distance(a: str, b: str, *, cap: int = 3) -> int:
    """Levenshtein distance of ``a`` and ``b``, cut off at ``cap`` (returns ``cap`` when larger)."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= cap:
            return cap
        prev = cur
    return min(prev[-1], cap)


_COMMENT_LINE = re.compile(r"^(#|//|/\*|\*|--|;|%|<!--|\"\"\"|''')")


def _loose_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        s = "".join(line.split())
        if s and not _COMMENT_LINE.match(s):
            out.append(s)
    return out


def compare(
    lang: str | None,
    base: bytes | None,
    head: bytes | None,
    *,
    blank_strings: bool = False,
    base_tree: Tree | None = None,
    head_tree: Tree | None = None,
    base_ranges: Ranges | None = None,
    head_ranges: Ranges | None = None,
    base_inline: dict[str, Helper] | None = None,
    head_inline: dict[str, Helper] | None = None,
    memo: StreamMemo | None = None,
) -> Comparison:
    """Compare two revisions of one file (None = file absent on that side).

    With a parser for ``lang`` and error-free trees: canonical streams, then a renaming check;
    with ``base_ranges``/``head_ranges`` (see :func:`hunk_ranges`) only the statements in those
    ranges are compared (much faster on large files). ``base_inline``/``head_inline`` (Python):
    helpers whose calls are replaced by their bodies on that side, and whose own definitions are
    left out of the comparison (see :func:`one_sided_helpers`). ``memo``: the review's streams of
    whole nodes (:class:`StreamMemo`), shared with other callers. Otherwise a line compare of the
    whole files ignoring whitespace and comment-looking lines (``parsed=False``).
    Absent on one side and present with code on the other is ``changed``.
    """
    if base is None or head is None:
        other = head if base is None else base
        empty = other is None or not _loose_lines(other.decode("utf-8", "replace"))
        return Comparison(Level.same if empty else Level.changed, parsed=False)
    bt = base_tree if base_tree is not None else parse_bytes(lang, base)
    ht = head_tree if head_tree is not None else parse_bytes(lang, head)
    if bt is None or ht is None or bt.root_node.has_error or ht.root_node.has_error:
        same = _loose_lines(base.decode("utf-8", "replace")) == _loose_lines(head.decode("utf-8", "replace"))
        return Comparison(Level.same if same else Level.changed, parsed=False)
    py = lang == "python"
    a = _streams(bt.root_node, base_ranges, py, blank_strings, base_inline if py else None, memo, lang)
    b = _streams(ht.root_node, head_ranges, py, blank_strings, head_inline if py else None, memo, lang)
    if a == b:
        return Comparison(Level.same, parsed=True)
    renames = rename_map(a, b)
    if renames is not None:
        return Comparison(Level.renamed, parsed=True, renames=tuple(sorted(renames.items())))
    return Comparison(Level.changed, parsed=True)


def _streams(root: Node, ranges: Ranges | None, python: bool, blank: bool, inline: dict[str, Helper] | None,
             memo: StreamMemo | None = None, language: str | None = None) -> list[str]:
    """The stream :func:`compare` compares (``root``: of an error-free tree of ``language``)."""
    nodes = regions(root, ranges) if ranges is not None else [
        c for c in root.named_children if not c.is_extra and c.type not in COMMENT_TYPES
    ]
    if inline:
        nodes = [n for n in nodes if not (n.type == "function_definition" and _name(n) in inline)]
    if memo is not None:
        return [t for n in nodes for t in memo.stream(n, python=python, blank_strings=blank, inline=inline, language=language)]
    return [t for n in nodes for t in canonical(n, python=python, blank_strings=blank, inline=inline)]


def top_level_nodes(root: Node, *, python: bool = True) -> list[Node]:
    """The top-level statements of ``root`` that :func:`top_level_chunks` streams: comments,
    imports (and Go's package clause) and docstrings excluded; in document order."""
    out = []
    for child in root.named_children:
        if child.is_extra or child.type in COMMENT_TYPES:
            continue
        if child.type in ("import_statement", "import_from_statement", "future_import_statement", "import_declaration", "package_clause"):
            continue
        if python and is_docstring(child):
            continue
        out.append(child)
    return out


def top_level_chunks(root: Node, *, python: bool = True) -> Counter[str]:
    """Multiset of the canonical streams (joined) of the top-level statements, imports and
    docstrings excluded: equal multisets across a change mean code was only moved or reordered."""
    return Counter("\x1f".join(canonical(child, python=python)) for child in top_level_nodes(root, python=python))


