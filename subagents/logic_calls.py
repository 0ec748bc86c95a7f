"""Logic checks for behaviour that a change drops from a call or a value without removing the
line it sits on: the classes of bug that reversed fixes re-introduce most often once the guards,
conditions and returns are covered (issue 12, evals/RESULTS.md "Re-injected bugs"):

- ``logic/dropped-argument`` (Python, syntax trees): a call that the function still makes lost a
  keyword argument (``parse_qs(value, keep_blank_values=True)`` -> ``parse_qs(value)``).
- ``logic/unwrapped-value`` (every language, paired lines): a call around a value was removed and
  the value is used bare (``escape(text)`` -> ``text``, ``max(n, 1)`` -> ``n``, ``int(x)`` -> ``x``).
- ``logic/lost-f-string`` (Python, paired lines): a string lost its ``f`` prefix but still holds
  ``{name}`` placeholders, which are now printed literally.
- ``logic/loosened-condition`` (Python, syntax trees): an ``if``/``elif``/``while`` condition
  written over several lines lost an ``and`` clause (the line-pair check sees single lines only).
- ``logic/boundary-change`` (every language, paired lines): a call swapped for its opposite
  (``min``/``max``, ``any``/``all``, ``lstrip``/``rstrip``...).
- ``logic/removed-branch`` (Python, syntax trees): a whole ``if``/``elif`` branch was removed
  and its condition is tested nowhere else in the function.

Pure: reads the file's two versions and its diff, never imports or runs them. Each check first
filters the changed lines with a cheap text test, so files without a candidate are not parsed
again (Python's ``ast``, at most once per side and file).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any

from bot.core.diff import FileChange
from subagents import _pyast
from subagents._hunks import file_blocks, head_line_for_old, pair_lines
from subagents.logic_lines import Hit

if TYPE_CHECKING:
    from subagents.view import CheckView


_KWARG_LINE = re.compile(r"^\s*\**[A-Za-z_]\w*\s*=[^=]")
_CALL_OPEN = re.compile(r"([A-Za-z_$][\w$.]*)\s*\(")
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][\w.]*)(?:\[[^\]]*\])?(?:![rsa])?(?::[^{}]*)?\}(?!\})")
_FSTRING = re.compile(r"(?<![\w'\"])[rRbB]?[fF][rR]?(\"|')")
_WRAPPERS_IGNORED = frozenset({"print", "log", "debug", "info", "warning", "warn", "error", "cast", "typing.cast",
                               "console.log", "fmt.Println", "fmt.Printf", "repr", "id", "type", "reveal_type",
                               "list", "tuple", "iter", "super"})
"""Wrappers whose removal changes no behaviour worth a finding (logging, typing, sequence copies)."""


FORMAT_LOOKAHEAD = 6
"""Added lines after a string that may still format it (``.format(`` on a continuation line)."""
_FORMATTED = re.compile(r"\.format(?:_map)?\(|\)\s*%|[\"']\s*%\s*[\w(]")


_parse = _pyast.parse
"""The whole text's ``ast`` tree, or None (see :func:`subagents._pyast.parse`)."""


Memo = Callable[[Hashable, Callable[[], Any]], Any]
"""A per-review memo (:meth:`subagents.view.CheckView.memo`): ``memo(key, compute)``."""


def shared_tree(memo: Memo, side: str, path: str, text: str | None) -> ast.AST | None:
    """``ast`` tree of one Python file version (``text``: its ``side`` text at ``path``; see
    :func:`_parse` for None), parsed once per agent review through ``memo`` and shared by the logic
    checks that read Python syntax trees (this module's, ``logic/removed-item``, ``logic/removed-default``).
    The tree is shared: callers only read it."""
    return memo(("logic_calls.ast", side, path), lambda: _parse(text))  # type: ignore[no-any-return]


class Parsed:
    """Both versions of one Python file parsed with :mod:`ast` at most once, and their functions
    (:func:`_functions`), shared by the checks of one file (they only read the trees).
    ``trees`` gives both trees when the caller shares them (:func:`shared_tree`); by default each
    text is parsed here."""

    def __init__(self, base_text: str | None, head_text: str | None,
                 trees: Callable[[], tuple[ast.AST | None, ast.AST | None]] | None = None) -> None:
        self._texts = (base_text, head_text)
        self._trees = trees
        self._functions: tuple[dict[str, ast.AST], dict[str, ast.AST]] | None = None
        self._done = False

    def functions(self) -> tuple[dict[str, ast.AST], dict[str, ast.AST]] | None:
        """``(base functions, head functions)``, or None when either version is absent, too large
        or does not parse."""
        if not self._done:
            self._done = True
            base, head = self._trees() if self._trees is not None else (_parse(self._texts[0]), _parse(self._texts[1]))
            if base is not None and head is not None:
                self._functions = (_functions(base), _functions(head))
        return self._functions


_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
"""Fields that hold only an expression context (``Load``/``Store``/``Del``) or operators
(``Add``, ``And``, ``Eq``...): childless nodes that no walk here looks for."""
_CHILD_FIELDS = {kind: tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
                 for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, ast.AST)}
"""Node type -> its fields that may hold child nodes (every node type of :mod:`ast`)."""


def child_nodes(node: ast.AST, out: list[ast.AST]) -> None:
    """Append ``node``'s child nodes to ``out`` in :func:`ast.iter_child_nodes` order, leaving out
    expression contexts and operators (:data:`_LEAF_FIELDS`): the walks of the logic checks look
    for statements, expressions, handlers and clauses, never for those, and a walk that skips
    them meets every other node in the same order (they have no children)."""
    for field in _CHILD_FIELDS.get(type(node), node._fields):
        value = getattr(node, field, None)
        if type(value) is list:
            out.extend([item for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST):
            out.append(value)


def _children(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    child_nodes(node, out)
    return out


_STATEMENT_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case)
"""The nodes a function or class definition can sit in: Python statements appear only in the
statement lists of statements, ``except`` handlers and ``case`` clauses, never in expressions."""


def qualified_functions(tree: ast.AST, *, descend: tuple[type, ...] = _STATEMENT_HOLDERS,
                        skip: Callable[[ast.AST], bool] | None = None) -> dict[str, ast.AST]:
    """Qualified name (``Class.method``, ``outer.inner``) -> function node of ``tree``, the first
    definition of a name winning, in the order a walk of every node would record them. Definitions
    nested in functions and classes are always visited; other nodes only when they are instances of
    ``descend`` (by default every statement holder, so definitions under ``if``/``try``/``with``
    count; ``()`` keeps to the definitions' own nesting). A function for which ``skip`` is true is
    not recorded (its nested definitions still are)."""
    out: dict[str, ast.AST] = {}
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in _children(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef) and not (skip is not None and skip(child)):
                    out.setdefault(qual, child)
                stack.append((child, qual + "."))
            elif descend and isinstance(child, descend):
                stack.append((child, prefix))
    return out


def scoped_nodes(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """``(qualified name of the enclosing function or class, "" at module level; node)`` for every
    node below ``tree`` that is not a function or class definition itself, nor an expression
    context or operator (:func:`child_nodes`), in the order of a depth-first stack walk (a
    definition's body after the rest of the block that holds it). Callers that want source order
    sort what they collect."""
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, qual = stack.pop()
        for child in _children(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.append((child, f"{qual}.{child.name}" if qual else child.name))
                continue
            yield qual, child
            stack.append((child, qual))


def _functions(tree: ast.AST) -> dict[str, ast.AST]:
    """Qualified name (``Class.method``) -> function node; module-level code under ``""``.

    Walks statements only (expressions hold no definitions): :func:`qualified_functions`."""
    return {"": tree, **qualified_functions(tree)}


def shared_trees(view: "CheckView", fc: FileChange, head_text: str | None = None) -> tuple[ast.AST | None, ast.AST | None]:
    """``(base tree, head tree)`` of the Python file ``fc`` through :func:`shared_tree` (the base
    read at ``fc.old_path`` for a rename); ``head_text`` when the caller already read it."""
    base_path = fc.old_path or fc.path
    base = shared_tree(view.memo, "base", base_path, view.base_text(base_path))
    return base, shared_tree(view.memo, "head", fc.path, view.head_text(fc.path) if head_text is None else head_text)


def touched_trees(view: "CheckView", fc: FileChange) -> tuple[ast.AST | None, ast.AST | None]:
    """``(base tree, head tree)`` of the Python file ``fc`` holding only the definitions its changed
    lines touch (:func:`subagents._pyast.touched_trees`; the whole files' trees when those cannot be
    chosen safely), computed once per agent review and shared by the checks that start from a
    changed line and compare the enclosing definition with its namesake on the other side (this
    module's tree checks, ``logic/removed-item``, ``logic/removed-default``, ``conditions``,
    ``contracts``, ``dataflow``, ``flow``, ``removals`` but module- or class-level ``logic/collapsed-conditional``, ``logic/narrowed-except``). A check that reads definitions no changed line touches (a callee's
    body elsewhere in the file) must use :func:`shared_trees`. The trees are shared: callers only
    read them."""
    return view.memo(("logic_calls.touched", fc.path), lambda: _touched_trees(view, fc))  # type: ignore[no-any-return]


def _touched_trees(view: "CheckView", fc: FileChange) -> tuple[ast.AST | None, ast.AST | None]:
    base_path = fc.old_path or fc.path
    base_text, head_text = view.base_text(base_path), view.head_text(fc.path)
    base_tree = head_tree = None
    if base_text is not None and head_text is not None:
        base_tree, head_tree = view.files.tree("base", base_path, "python"), view.files.tree("head", fc.path, "python")
    texts = _pyast.touched_texts(
        base_text, head_text, base_tree, head_tree,
        removed=[ln.old_lineno for ln in fc.removed_lines() if ln.old_lineno is not None],
        added=[ln.new_lineno for ln in fc.added_lines() if ln.new_lineno is not None],
    )
    # A text kept whole is the whole file's: its tree is the one shared_tree gives (parsed once).
    return tuple(  # type: ignore[return-value]
        shared_tree(view.memo, side, path, whole) if text == whole else _pyast.parse(text)
        for side, path, whole, text in (("base", base_path, base_text, texts[0]), ("head", fc.path, head_text, texts[1]))
    )


def _own_calls(func: ast.AST) -> Iterator[ast.Call]:
    """Calls in ``func``'s own body (not in nested functions or classes)."""
    stack = _children(func)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            yield node
        child_nodes(node, stack)


def _lines(node: ast.AST) -> range:
    start = getattr(node, "lineno", 0)
    return range(start, (getattr(node, "end_lineno", None) or start) + 1)


def check_dropped_arguments(
    fc: FileChange, base_text: str | None, head_text: str | None, parsed: Parsed | None = None,
) -> list[Hit]:
    """``logic/dropped-argument``: in a function present on both sides, a callee called as often
    as before, and a keyword argument that some base call of it passed on a removed line while no
    head call of it passes that keyword any more (and none passes ``**kwargs``). Minor. Anchored at
    the head line where the argument was removed."""
    removed = {ln.old_lineno: ln.text for ln in fc.removed_lines() if ln.old_lineno is not None}
    if not any("=" in t for t in removed.values()):
        return []
    funcs = (parsed or Parsed(base_text, head_text)).functions()
    if funcs is None:
        return []
    bfuncs, hfuncs = funcs
    hits: list[Hit] = []
    seen: set[tuple[str, str, str]] = set()
    for qual, bfunc in bfuncs.items():
        hfunc = hfuncs.get(qual)
        if hfunc is None or not any(n in removed for n in _lines(bfunc)):
            continue
        own = list(_own_calls(bfunc))
        if not any(kw.arg is not None and any(n in removed for n in _lines(kw)) for call in own for kw in call.keywords):
            continue  # no keyword of a base call on a removed line: nothing to report (and nothing to unparse)
        bcalls: dict[str, list[ast.Call]] = {}
        hcalls: dict[str, list[ast.Call]] = {}
        for calls, acc in ((own, bcalls), (_own_calls(hfunc), hcalls)):
            for call in calls:
                acc.setdefault(ast.unparse(call.func), []).append(call)
        for callee, calls in bcalls.items():
            now = hcalls.get(callee, [])
            if len(now) != len(calls) or any(k.arg is None for c in now for k in c.keywords):
                continue
            kept = {k.arg for c in now for k in c.keywords}
            for call in calls:
                for kw in call.keywords:
                    if kw.arg is None or kw.arg in kept or not any(n in removed for n in _lines(kw)):
                        continue
                    key = (qual, callee, kw.arg)
                    if key in seen:
                        continue
                    seen.add(key)
                    value = ast.unparse(kw.value)
                    value = value if len(value) <= 40 else value[:39] + "…"
                    hits.append(Hit(
                        "logic/dropped-argument", "minor", head_line_for_old(fc, kw.lineno), f"{callee}({kw.arg}=",
                        f"`{callee}(...)` no longer passes `{kw.arg}={value}`: it now gets the callee's default.",
                        "Check that the default is what this call needs, or keep the argument.",
                        old_line=kw.lineno,
                    ))
    return hits


def _calls_in(line: str) -> Iterator[tuple[str, int, int, list[str]]]:
    """``(callee, start, end, top-level arguments)`` of each call in ``line`` whose parentheses
    close on the same line (``end`` is the index after ``)``)."""
    for m in _CALL_OPEN.finditer(line):
        depth, args, cur = 0, [], m.end()
        for i in _unquoted(line, m.end() - 1):
            ch = line[i]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    args.append(line[cur:i].strip())
                    yield m.group(1), m.start(), i + 1, [a for a in args if a]
                    break
            elif ch == "," and depth == 1:
                args.append(line[cur:i].strip())
                cur = i + 1


def _unquoted(line: str, start: int = 0) -> Iterator[int]:
    """Indexes, from ``start``, of the characters of ``line`` outside string literals (``'``, ``"``
    or backquote quoted, backslash escapes inside); the quotes themselves are not yielded."""
    quote = ""
    i = start
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        else:
            yield i
        i += 1


def _code(line: str, marker: str) -> str:
    """``line`` without a trailing comment starting with ``marker`` outside string literals."""
    for i in _unquoted(line):
        if line.startswith(marker, i):
            return line[:i]
    return line


def _squash(s: str) -> str:
    return "".join(s.split())


def _marker(fc: FileChange) -> str:
    return "#" if fc.language in ("python", "ruby", "shell", "bash", "yaml", "toml") else "//"


def check_unwrapped(fc: FileChange) -> list[Hit]:
    """``logic/unwrapped-value``: a removed line and the added line paired with it (see
    :func:`subagents._hunks.pair_lines`) are the same except that a call ``f(x, ...)`` became its
    first argument ``x``: the escaping, clamping, conversion or check that ``f`` did is gone; or a
    one-element list ``[x]`` passed or assigned became ``x`` (a sequence expected, a value given).
    Logging, typing and copying wrappers (:data:`_WRAPPERS_IGNORED`) and method calls on the value
    (``x.strip()`` is not a wrapper of ``x``) do not count. Minor."""
    hits: list[Hit] = []
    marker = _marker(fc)
    for block in file_blocks(fc):
        if not block.removed or not block.added:
            continue
        for old, new in pair_lines(block.removed, block.added):
            if "(" not in old.text or new.new_lineno is None:
                continue
            before = _code(old.text, marker)
            target = _squash(_code(new.text, marker))
            for callee, start, end, args in _calls_in(before):
                if not args or callee in _WRAPPERS_IGNORED or callee.rsplit(".", 1)[-1] in _WRAPPERS_IGNORED:
                    continue
                inner = args[0]
                if "=" in inner.split("(")[0] or not inner:
                    continue
                if _squash(before[:start] + inner + before[end:]) == target:
                    hits.append(Hit(
                        "logic/unwrapped-value", "minor", new.new_lineno, new.text.strip(),
                        f"`{callee}(...)` was removed around `{inner[:60]}`: the value is now used without it.",
                        f"Check that `{inner[:60]}` no longer needs `{callee}`.",
                        old_line=old.old_lineno,
                    ))
                    break
            else:
                inner = _unlisted(before, target)
                if inner:
                    hits.append(Hit(
                        "logic/unwrapped-value", "minor", new.new_lineno, new.text.strip(),
                        f"The one-element list `[{inner[:60]}]` became `{inner[:60]}`: code that expects a sequence now "
                        "gets the value itself (a string is iterated character by character).",
                        f"Check that the callee accepts `{inner[:60]}` itself, not only a list of such values.",
                        old_line=old.old_lineno,
                    ))
    return hits


def _code_chars(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """``(index, character)`` of ``text`` from ``start``, string literals left out."""
    quote = ""
    for j in range(start, len(text)):
        c = text[j]
        if quote:
            if c == quote and text[j - 1] != "\\":
                quote = ""
        elif c in "\"'":
            quote = c
        else:
            yield j, c


def _closing(text: str, i: int) -> int | None:
    """Index of the bracket closing ``text[i]`` (string literals skipped), or None."""
    depth = 0
    for j, c in _code_chars(text, i):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return None


def _top_level_comma(text: str) -> bool:
    depth = 0
    for _j, c in _code_chars(text):
        depth += (c in "([{") - (c in ")]}")
        if c == "," and depth == 0:
            return True
    return False


def _unlisted(before: str, target: str) -> str | None:
    """The element ``x`` when ``before`` becomes ``target`` by turning one one-element list display
    ``[x]`` (right after ``(``, ``,``, ``=`` or ``:``, so not a subscript) into ``x``."""
    for m in re.finditer(r"[(,=:]\s*\[", before):
        start = m.end() - 1
        end = _closing(before, start)
        if end is None:
            continue
        inner = before[start + 1:end].strip()
        if not inner or " for " in inner or _top_level_comma(inner):
            continue
        if _squash(before[:start] + inner + before[end + 1:]) == target:
            return inner
    return None


def check_lost_fstrings(fc: FileChange) -> list[Hit]:
    """``logic/lost-f-string``: a removed Python line with an f-string and the added line paired
    with it, equal up to the string's ``f`` prefix, where the added string still holds a
    ``{name}`` placeholder: it is now printed literally (not when one of the next added lines
    formats it: ``_("{x}").format(x=x)``, ``"..." % x``). Major."""
    hits: list[Hit] = []
    for block in file_blocks(fc):
        for old, new in pair_lines(block.removed, block.added):
            if new.new_lineno is None or not _FSTRING.search(old.text) or _FSTRING.search(new.text):
                continue
            after = [ln.text for ln in block.added if ln.new_lineno and new.new_lineno <= ln.new_lineno <= new.new_lineno + FORMAT_LOOKAHEAD]
            if any(_FORMATTED.search(t) for t in after):
                continue  # formatted later in the statement: _("... {x}").format(x=x), "%s" % x
            before, after = _code(old.text, "#"), _code(new.text, "#")
            if _squash(_FSTRING.sub(r"\1", before)) != _squash(after):
                continue
            m = _PLACEHOLDER.search(after)
            if m is None:
                continue
            hits.append(Hit(
                "logic/lost-f-string", "major", new.new_lineno, new.text.strip(),
                f"This string lost its `f` prefix but still holds `{{{m.group(1)}}}`: the placeholder is printed "
                "literally instead of the value.",
                "Keep the `f` prefix.", old_line=old.old_lineno,
            ))
    return hits


def _and_operands(test: ast.AST) -> list[str]:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [ast.dump(v) for v in test.values]
    return [ast.dump(test)]


def _tests(func: ast.AST) -> Iterator[ast.If | ast.While]:
    stack = _children(func)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.If, ast.While)):
            yield node
        child_nodes(node, stack)


def check_dropped_clauses(
    fc: FileChange, base_text: str | None, head_text: str | None, parsed: Parsed | None = None,
) -> list[Hit]:
    """``logic/loosened-condition`` for conditions over several lines: an ``if``/``elif``/``while``
    of a function present on both sides whose base condition (``a and b and c``) spans several
    lines, at least one of them removed, and a head condition of the same kind in the same function,
    new (starting on an added line, or not in the base), whose ``and`` operands are a proper
    subset of the base's (same body): a clause line was deleted, or the condition rewritten
    without it. Major, as the single-line check."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    if not any(" and" in ln.text or "and " in ln.text for ln in fc.removed_lines()):
        return []
    funcs = (parsed or Parsed(base_text, head_text)).functions()
    if funcs is None:
        return []
    bfuncs, hfuncs = funcs
    hits: list[Hit] = []
    for qual, bfunc in bfuncs.items():
        hfunc = hfuncs.get(qual)
        if hfunc is None:
            continue
        candidates = [t for t in _tests(bfunc) if isinstance(t.test, ast.BoolOp) and isinstance(t.test.op, ast.And)
                      and len(_lines(t.test)) > 1 and any(n in removed for n in _lines(t.test))]
        if not candidates:
            continue
        base_tests = {ast.dump(t.test) for t in _tests(bfunc)}
        heads = [t for t in _tests(hfunc) if t.lineno in added or ast.dump(t.test) not in base_tests]
        for bt in candidates:
            bops = _and_operands(bt.test)
            body = [ast.dump(s) for s in bt.body]
            for ht in heads:
                hops = _and_operands(ht.test)
                if type(ht) is not type(bt) or [ast.dump(s) for s in ht.body] != body:
                    continue
                if len(hops) < len(bops) and all(o in bops for o in hops):
                    dropped = [v for v, d in zip(bt.test.values, bops) if d not in hops]  # type: ignore[attr-defined]
                    what = ast.unparse(dropped[0]) if dropped else "a clause"
                    hits.append(Hit(
                        "logic/loosened-condition", "major", ht.lineno, ast.unparse(ht.test)[:100],
                        f"The condition lost the clause `{what[:80]}`: it now holds in more cases.",
                        "Check that the dropped clause is really no longer needed.", old_line=bt.lineno,
                    ))
                    break
    return hits


_OPPOSITES = (("min", "max"), ("any", "all"), ("floor", "ceil"), ("lstrip", "rstrip"), ("startswith", "endswith"),
              ("upper", "lower"), ("ljust", "rjust"), ("nlargest", "nsmallest"))
_TOKEN = re.compile(r"[A-Za-z_]\w*|\S")


def _opposite(a: str, b: str) -> str | None:
    """``"min -> max"`` when identifier ``b`` is ``a`` with one word swapped for its opposite
    (``min_target`` -> ``max_target``, ``min`` -> ``max``); None otherwise."""
    for x, y in _OPPOSITES:
        for p, q in ((x, y), (y, x)):
            for m in re.finditer(rf"(?:(?<=_)|(?<![A-Za-z0-9])){p}(?=_|[^A-Za-z0-9]|$)", a):
                if a[:m.start()] + q + a[m.end():] == b:
                    return f"{p} -> {q}"
    return None


def check_swapped_opposites(fc: FileChange) -> list[Hit]:
    """``logic/boundary-change`` for a removed line and the added line paired with it that differ
    only in identifiers each swapped for its opposite (``min``/``max``, ``any``/``all``,
    ``floor``/``ceil``, ``lstrip``/``rstrip``, ``startswith``/``endswith``, ``upper``/``lower``),
    at least one of them a call: the bound or quantifier flipped. Major, as the operator check."""
    hits: list[Hit] = []
    marker = _marker(fc)
    for block in file_blocks(fc):
        for old, new in pair_lines(block.removed, block.added):
            if new.new_lineno is None:
                continue
            a, b = _TOKEN.findall(_code(old.text, marker)), _TOKEN.findall(_code(new.text, marker))
            if len(a) != len(b) or a == b:
                continue
            swaps, called = [], False
            for i, (x, y) in enumerate(zip(a, b)):
                if x == y:
                    continue
                swap = _opposite(x, y)
                if swap is None:
                    break
                swaps.append(swap)
                called = called or (i + 1 < len(b) and b[i + 1] == "(")
            else:
                if swaps and called:
                    hits.append(Hit(
                        "logic/boundary-change", "major", new.new_lineno, new.text.strip(),
                        f"`{old.text.strip()[:80]}` became `{new.text.strip()[:80]}`: {swaps[0]} flips the bound.",
                        "Check which bound the code needs; a test at the boundary tells.", old_line=old.old_lineno,
                    ))
    return hits


_EXIT_TYPES = (ast.Raise, ast.Return, ast.Continue, ast.Break)
_COMPAT_TEST = re.compile(r"\b(?:version_info|TYPE_CHECKING|PY\d+|PYPY|sys\.platform|__name__)\b")
"""Conditions whose removal is clean-up (old Python versions, type checking, script entry points)."""


def _own_ifs(func: ast.AST) -> Iterator[ast.If]:
    """``if``/``elif`` statements of ``func``'s own body, outermost first (``elif`` arms included)."""
    stack = _children(func)[::-1]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If):
            yield node
        stack.extend(_children(node)[::-1])


def _conditions(func: ast.AST) -> set[str]:
    out: set[str] = set()
    stack = _children(func)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            out.add(ast.dump(node.test))
            if isinstance(node.test, ast.BoolOp):
                out.update(ast.dump(v) for v in node.test.values)
        child_nodes(node, stack)
    return out


def _collapsed_to_else(node: ast.If, hfunc: ast.AST) -> bool:
    """True when ``node`` has a plain ``else`` (not an ``elif``) whose first statement the head
    function still has: ``if a: raise X else: raise Y`` became ``raise Y``."""
    if not node.orelse or isinstance(node.orelse[0], ast.If):
        return False
    first = ast.dump(node.orelse[0])
    return any(isinstance(n, ast.stmt) and ast.dump(n) == first for n in ast.walk(hfunc))


def check_removed_branches(
    fc: FileChange, base_text: str | None, head_text: str | None, parsed: Parsed | None = None,
) -> list[Hit]:
    """``logic/removed-branch``: in a function present on both sides, an ``if``/``elif`` whose
    every line was removed, whose condition the head function no longer tests anywhere (neither
    whole nor as an ``and``/``or`` operand), and whose body is not just an exit unless the ``if``
    had a plain ``else`` that now runs alone (a removed guard is ``logic/removed-guard``'s; ``if a:
    raise X else: raise Y`` collapsed to ``raise Y`` is a removed branch). Version, platform and ``TYPE_CHECKING`` checks are clean-up,
    not behaviour. One finding per outermost removed branch. Minor."""
    removed = fc.changed_old_lines()
    if not any(ln.text.lstrip().startswith(("if ", "elif ", "if(")) for ln in fc.removed_lines()):
        return []
    funcs = (parsed or Parsed(base_text, head_text)).functions()
    if funcs is None:
        return []
    bfuncs, hfuncs = funcs
    hits: list[Hit] = []
    for qual, bfunc in bfuncs.items():
        hfunc = hfuncs.get(qual)
        if hfunc is None or not any(n in removed for n in _lines(bfunc)):
            continue
        kept = _conditions(hfunc)
        covered: set[int] = set()
        for node in _own_ifs(bfunc):
            if node.lineno in covered:
                continue
            span = _lines(node)
            if not all(n in removed for n in range(node.lineno, node.body[-1].end_lineno + 1)):  # type: ignore[operator]
                continue
            covered.update(span)
            test = ast.unparse(node.test)
            if ast.dump(node.test) in kept or _COMPAT_TEST.search(test):
                continue
            if len(node.body) == 1 and isinstance(node.body[0], _EXIT_TYPES) and not _collapsed_to_else(node, hfunc):
                continue  # a lone exit is a guard (logic/removed-guard's) unless its `else` now runs alone
            hits.append(Hit(
                "logic/removed-branch", "minor", head_line_for_old(fc, node.lineno), f"if {test[:80]}",
                f"The branch `if {test[:80]}:` was removed: what it did in that case is gone, and the "
                "function no longer tests that condition.",
                "Say in the description why that case needs no special handling any more.", old_line=node.lineno,
            ))
    return hits


def check_python(fc: FileChange, base_text: str | None, head_text: str | None,
                 trees: Callable[[], tuple[ast.AST | None, ast.AST | None]] | None = None) -> list[Hit]:
    """Every check of this module for one changed Python runtime file (each version parsed at most
    once, by the first check whose text filter passes; ``trees``: see :class:`Parsed`)."""
    parsed = Parsed(base_text, head_text, trees)
    return (check_dropped_arguments(fc, base_text, head_text, parsed) + check_unwrapped(fc) + check_lost_fstrings(fc)
            + check_dropped_clauses(fc, base_text, head_text, parsed) + check_removed_branches(fc, base_text, head_text, parsed)
            + check_swapped_opposites(fc))


def check_other(fc: FileChange) -> list[Hit]:
    """The language-independent checks of this module for one changed runtime file."""
    return check_unwrapped(fc) + check_swapped_opposites(fc)
