"""Check ``contracts``: edits to what a function promises its callers beyond its return value:
the exception it raises and how its parameters may be passed. Written for what reversed bug fixes
re-introduce on the development corpora (issue 12, evals/RESULTS.md "Re-injected bugs", fourth
session): a lost ``from exc``, a different exception class, a reworded error, a lost ``/``. Python
only; both versions are parsed with :mod:`ast` only when a changed line could hold such an edit.
Every rule is minor:

- ``logic/changed-raise``: a ``raise`` statement that the change edits in place (the same function
  has as many edited ``raise`` statements before and after, paired in order) now raises another
  exception class, drops its cause (``from exc`` removed, or ``from None`` added), or raises the
  same class with other arguments (a reworded message; one finding per file for those). Callers catch by class, tests match the
  message, and a dropped cause loses the original traceback. Raises that are only re-wrapped or
  re-quoted compare equal and are not reported.
- ``logic/changed-parameter-kind``: a parameter kept its name but not its kind (positional-only,
  positional-or-keyword, keyword-only): a removed ``/`` lets a keyword argument of the same name
  collide with ``**kwargs``, an added ``*`` breaks every positional call.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents.checks.logic._lines import finding, live_runtime_files
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import qualified_functions, scoped_nodes, touched_trees
from subagents.view import CheckView

CHANGED_RAISE = "logic/changed-raise"
CHANGED_PARAMETER_KIND = "logic/changed-parameter-kind"

_RAISE = re.compile(r"\braise\b")
_CAUSE = re.compile(r"^\s*\)\s*from\s+[\w.]+\s*(?:#.*)?$")
"""The last line of a multi-line ``raise`` that names its cause (``) from exc``)."""
_QUOTE = re.compile(r"[\"']")
RAISE_WINDOW = 4
"""Head lines above an added line with a string literal searched for ``raise`` (a message on a
continuation line of a multi-line ``raise``)."""
_SIGNATURE_HINT = re.compile(r"(?:^|[,(])\s*[/*]\s*(?:[,)]|$)|\bdef\b")
"""A changed line that may change parameter kinds: a bare ``/`` or ``*`` marker, or a ``def``."""


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        head_text = view.head_text(fc.path)
        lines = [ln.text for ln in (*fc.removed_lines(), *fc.added_lines())]
        raises = any(_RAISE.search(t) or _CAUSE.match(t) for t in lines) or _message_edit(fc, head_text)
        kinds = any(_SIGNATURE_HINT.search(t) for t in lines)
        if not raises and not kinds:
            continue
        base, head = touched_trees(view, fc)
        if base is None or head is None:
            continue
        if raises:
            out += changed_raises(fc, base, head)
        if kinds:
            out += changed_parameter_kinds(fc, base, head)
    return out


# --- logic/changed-raise -----------------------------------------------------------------------


def _message_edit(fc: FileChange, head_text: str | None) -> bool:
    """An added line with a string literal within :data:`RAISE_WINDOW` lines below a ``raise``
    (a cheap gate: only then are both versions parsed for a reworded message)."""
    if head_text is None:
        return False
    lines = head_text.splitlines()
    for ln in fc.added_lines():
        n = ln.new_lineno
        if n is not None and _QUOTE.search(ln.text) and any(
                _RAISE.search(lines[i]) for i in range(max(0, n - 1 - RAISE_WINDOW), min(n, len(lines)))):
            return True
    return False


def changed_raises(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/changed-raise``: see the module doc; one finding per edited ``raise``, at its first
    added line."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    before, after = _raises(base, removed), _raises(head, added)
    out = []
    reworded: list[tuple[int, str]] = []
    for qual, braises in before.items():
        hraises = after.get(qual, [])
        if len(hraises) != len(braises):
            continue
        for b, h in zip(braises, hraises, strict=True):
            change = _raise_change(b, h)
            if change is None:
                continue
            what, same_class = change
            line = min(n for n in range(h.lineno, (h.end_lineno or h.lineno) + 1) if n in added)
            where = f"in `{qual}`" if qual else "at module level"
            if same_class:
                reworded.append((line, f"The `raise` {where} {what}"))
                continue
            out.append(finding(CHANGED_RAISE, fc.path, line, f"{qual}: {ast.unparse(h)}", f"The `raise` {where} {what}.", _ADVICE))
    if reworded:
        # A file whose raises keep their class but change their message or arguments gets one
        # finding: such edits usually come together (a wording pass over a module's errors).
        line, first = min(reworded)
        more = f" ({len(reworded) - 1} more `raise` in this file changed the same way)" if len(reworded) > 1 else ""
        out.append(finding(CHANGED_RAISE, fc.path, line, first, f"{first}{more}.", _ADVICE))
    return sorted(out, key=lambda f: f.line or 0)


_ADVICE = "Keep the exception callers and tests rely on (class, message, cause), or say in the description why it changes."


def _raises(tree: ast.AST, changed: set[int]) -> dict[str, list[ast.Raise]]:
    """Per enclosing function (qualified name, ``""`` at module level): its ``raise`` statements
    with an exception that touch a ``changed`` line, in source order."""
    out: dict[str, list[ast.Raise]] = {}
    for qual, child in scoped_nodes(tree):
        if isinstance(child, ast.Raise):
            span = range(child.lineno, (child.end_lineno or child.lineno) + 1)
            if child.exc is not None and any(n in changed for n in span):
                out.setdefault(qual, []).append(child)
    for raises in out.values():
        raises.sort(key=lambda r: (r.lineno, r.col_offset))
    return out


def _raise_change(b: ast.Raise, h: ast.Raise) -> tuple[str, bool] | None:
    """How raise ``h`` differs from raise ``b`` in words, and whether only the exception's
    arguments changed (same class, same cause); None when they are the same."""
    what = _raise_words(b, h)
    if what is None:
        return None
    return what, what.startswith("keeps ")


def _raise_words(b: ast.Raise, h: ast.Raise) -> str | None:
    if ast.dump(b) == ast.dump(h) or b.exc is None or h.exc is None:
        return None
    bcls, hcls = _exception_class(b.exc), _exception_class(h.exc)
    bcause = ast.unparse(b.cause) if b.cause is not None else None
    hcause = ast.unparse(h.cause) if h.cause is not None else None
    if bcause not in (None, "None") and hcause in (None, "None"):
        lost = f"no longer chains `{bcause}`: the original error and its traceback are lost"
        return lost if bcls == hcls else f"now raises `{hcls}` instead of `{bcls}` and {lost}"
    if hcause == "None" and bcause != "None":
        return f"now raises `{hcls}` with `from None`, which hides the exception it replaces"
    if bcls != hcls:
        return f"now raises `{hcls}` instead of `{bcls}`: code that catches `{bcls}` no longer sees it"
    if ast.dump(b.exc) != ast.dump(h.exc):
        old, new = _message(b.exc), _message(h.exc)
        if old is not None and new is not None and old != new:
            return f"keeps `{hcls}` but its message changed from {_quote(old)} to {_quote(new)}"
        return f"keeps `{hcls}` but is built with other arguments (`{_short(b.exc)}` -> `{_short(h.exc)}`)"
    return None


def _exception_class(exc: ast.expr) -> str:
    """The source of what is raised: the callee of ``Error(...)``, else the expression itself."""
    return ast.unparse(exc.func if isinstance(exc, ast.Call) else exc)


def _message(exc: ast.expr) -> str | None:
    """The text of the first string argument of ``Error("...")`` (f-string parts kept as source)."""
    if not isinstance(exc, ast.Call) or not exc.args:
        return None
    first = exc.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr):
        return ast.unparse(first)
    return None


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"`{text[:limit]}{'...' if len(text) > limit else ''}`"


def _short(node: ast.expr, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- logic/changed-parameter-kind --------------------------------------------------------------

_KIND_WORDS = {"posonly": "positional-only", "regular": "positional-or-keyword", "kwonly": "keyword-only"}


def changed_parameter_kinds(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/changed-parameter-kind``: see the module doc; one finding per function, at the
    head line of its first parameter whose kind changed (the signature must touch a changed line)."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    hdefs = _functions(head)
    out = []
    for qual, bfunc in _functions(base).items():
        hfunc = hdefs.get(qual)
        if hfunc is None or not (_touches(bfunc, removed) or _touches(hfunc, added)):
            continue
        bkinds, hkinds = _kinds(bfunc), _kinds(hfunc)
        changed = [(name, bkinds[name][0], kind, line) for name, (kind, line) in hkinds.items()
                   if name in bkinds and bkinds[name][0] != kind and name not in ("self", "cls")]
        if not changed:
            continue
        name, old, new, line = changed[0]
        others = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        out.append(finding(
            CHANGED_PARAMETER_KIND, fc.path, line, f"{qual}({name})",
            f"Parameter `{name}` of `{qual}` was {_KIND_WORDS[old]} and is now {_KIND_WORDS[new]}{others}: calls "
            "that pass it the old way now fail or bind it differently.",
            "Keep the parameter's kind, or update every caller and say so in the description.",
        ))
    return out


def _touches(func: ast.AST, changed: set[int]) -> bool:
    """The signature of ``func`` (its ``def`` line through the last parameter) holds a changed line."""
    args = func.args  # type: ignore[attr-defined]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a)]
    first = func.lineno  # type: ignore[attr-defined]
    last = max([first, *(a.end_lineno or a.lineno for a in every)]) + 1
    return any(first <= n <= last for n in changed)


def _kinds(func: ast.AST) -> dict[str, tuple[str, int]]:
    """Parameter name -> (kind, line) for the named parameters (not ``*args``/``**kwargs``; ``self``
    and ``cls`` are left out by the caller: nobody passes them by keyword)."""
    args = func.args  # type: ignore[attr-defined]
    out = {a.arg: ("posonly", a.lineno) for a in args.posonlyargs}
    out.update({a.arg: ("regular", a.lineno) for a in args.args})
    out.update({a.arg: ("kwonly", a.lineno) for a in args.kwonlyargs})
    return out


def _is_overload(func: ast.AST) -> bool:
    """An ``@overload`` / ``@typing.overload`` stub: a decorator whose source (``ast.unparse``)
    ends with ``overload`` after its last dot."""
    return any(_overload(d) for d in func.decorator_list)  # type: ignore[attr-defined]


def _overload(decorator: ast.AST) -> bool:
    """``ast.unparse(decorator).split(".")[-1] == "overload"``, without unparsing the usual
    decorators: a name is its identifier, an attribute ends with ``.attr``, a call with ``)`` and a
    subscript with ``]``; any other expression is unparsed."""
    kind = type(decorator)
    if kind is ast.Name:
        return decorator.id == "overload"  # type: ignore[attr-defined]
    if kind is ast.Attribute:
        return decorator.attr == "overload"  # type: ignore[attr-defined]
    if kind is ast.Call or kind is ast.Subscript:
        return False
    return ast.unparse(decorator).split(".")[-1] == "overload"


def _functions(tree: ast.AST) -> dict[str, ast.AST]:
    """Qualified name -> function node, ``@overload`` stubs left out (the first definition wins);
    definitions under ``if``/``try`` count (:func:`subagents.logic_calls.qualified_functions`)."""
    return qualified_functions(tree, descend=(ast.If, ast.Try), skip=_is_overload)


CHECK = Check(name="contracts", agent=AGENT, rules=(CHANGED_PARAMETER_KIND, CHANGED_RAISE), run=run,
              languages=("python",), order=17)

__all__ = ["CHECK", "run"]
