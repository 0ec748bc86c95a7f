"""Check ``rewrites``: a line rewritten into a shorter or tidier form that means something else.
Written for what reversed bug fixes re-introduce on the development corpora (issue 12,
evals/RESULTS.md "Re-injected bugs", sixth session). Python only; reads the diff's change blocks
(and, for class headers, parses the two header lines); every rule is minor:

- ``logic/dropped-none-check``: a conditional expression that tested ``is None`` or
  ``is not None`` (``x if x is not None else default``) was rewritten without any ``None`` test:
  as ``x or default``, so an empty string, list, zero or ``False`` now takes the default too; or
  without the guard at all, so ``None`` now reaches code that expected a value.
- ``logic/changed-case``: the only edit of a line is the letter case of an identifier-like string
  literal (``"stacklevel"`` -> ``"stackLevel"``), possibly with a ``.lower()``/``.upper()``/
  ``.casefold()`` dropped from the same line (``charset.lower() != "utf-8"`` ->
  ``charset != "UTF-8"``): keys, keyword names and comparisons are case-sensitive, so what
  matched before no longer does.
- ``logic/identity-comparison``: an added line compares with ``is``/``is not`` against a
  computed value that is never a singleton: ``math.inf``/``math.nan``/``math.pi`` or a fresh
  ``float(...)``/``int(...)``/``str(...)``/``Decimal(...)`` (``value is not math.inf``), where no removed
  line of the file made the same comparison. ``float("inf") is math.inf`` is False, so the test is
  wrong for equal values. Literals on the right (``x is 1``) are the anti-pattern catalog's
  ``QPY008``.
- ``logic/changed-base-class``: a class header edited in place no longer lists a base class it
  had (``class UndefinedEnvironmentName(KeyError)`` -> ``(ValueError)``): ``isinstance`` checks
  and ``except KeyError`` handlers of its users stop matching, and what it inherited is gone.
  ``object``, ``Generic[...]``, ``Protocol`` and the same class spelt another way (``IntFlag`` ->
  ``enum.IntFlag``) do not count; one finding per file.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents._hunks import ChangeBlock, file_blocks, pair_lines
from subagents.checks.logic._lines import TOKEN, code, finding, live_runtime_files, shorten
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.view import CheckView

DROPPED_NONE_CHECK = "logic/dropped-none-check"
CHANGED_CASE = "logic/changed-case"
CHANGED_BASE_CLASS = "logic/changed-base-class"
IDENTITY_COMPARISON = "logic/identity-comparison"

_NONE_IFEXP = re.compile(r"\S\s+if\s+(?P<name>[A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s+is\s+(?P<neg>not\s+)?None\s+else\b")
"""A conditional expression testing a name against None (a statement ``if`` has nothing before it)."""
_NONE_TEST = re.compile(r"\bis\s+(?:not\s+)?None\b|[!=]=\s*None\b|\bNone\s*[!=]=")
_CASE_CALL = re.compile(r"\.(?:lower|upper|casefold)\(\)")
_KEYLIKE = re.compile(r"[A-Za-z_][\w.-]*")
_STRING_TOKEN = re.compile(r"(?P<prefix>[rbufRBUF]{0,2})(?P<quote>[\"'])(?P<body>.*)(?P=quote)$", re.DOTALL)
_IDENTITY = re.compile(r"\bis\s+(?:not\s+)?(?:math\.(?:inf|nan|pi|e|tau)\b|(?:float|int|str|bytes|Decimal)\s*\()")
"""``is``/``is not`` followed by a computed value that is never a singleton (see the module doc)."""
_CLASS_HEADER = re.compile(r"^\s*class\s+(?P<name>[A-Za-z_]\w*)\s*\((?P<bases>.*)\)\s*:")
_NEUTRAL_BASES = frozenset({"object", "Generic", "Protocol", "typing.Generic", "typing.Protocol", "ABC", "abc.ABC"})


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        out += identity_comparisons(fc)
        blocks = [b for b in file_blocks(fc) if b.removed and b.added]
        if not blocks:
            continue
        out += dropped_none_checks(fc, blocks)
        out += changed_cases(fc, blocks)
        out += changed_base_classes(fc, blocks)
    return sorted(out, key=lambda f: f.line or 0)


def _codes(lines: list) -> list[str]:  # type: ignore[type-arg]
    return [c.split("  #", 1)[0] for c in (code(ln.text) for ln in lines) if c]


def dropped_none_checks(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/dropped-none-check``: see the module doc; one finding per change block, at its first
    added line."""
    out = []
    for block in blocks:
        removed = " ".join(_codes(block.removed))
        m = _NONE_IFEXP.search(removed)
        added = " ".join(_codes(block.added))
        if m is None or not added or _NONE_TEST.search(added):
            continue
        name = m.group("name")
        short = name.rsplit(".", 1)[-1]
        truthy = re.search(rf"\b{re.escape(short)}\s+or\b|\bor\s+{re.escape(short)}\b", added)
        what = (f"became a truthiness test (`{short} or ...`): an empty or zero `{short}` (`\"\"`, `[]`, `0`, `False`) "
                "now takes the default as well" if truthy else
                "was dropped: `None` now reaches the code that expected a value (a format, an attribute, a call)")
        line = next(a.new_lineno for a in block.added if a.new_lineno is not None and code(a.text))
        out.append(finding(
            DROPPED_NONE_CHECK, fc.path, line, f"{name}: {shorten(added)}",
            f"The `is {'not ' if m.group('neg') else ''}None` check on `{name}` (`... if {name} is "
            f"{'not ' if m.group('neg') else ''}None else ...`) {what}.",
            "Keep the explicit `is None` test, or say in the description why the other values cannot occur.",
        ))
    return out


def identity_comparisons(fc: FileChange) -> list[Finding]:
    """``logic/identity-comparison``: see the module doc; one finding per added line."""
    removed = {m.group(0) for ln in fc.removed_lines() for m in _IDENTITY.finditer(ln.text.split("#", 1)[0])}
    out = []
    for ln in fc.added_lines():
        text = ln.text.split("#", 1)[0]
        m = _IDENTITY.search(text) if ln.new_lineno is not None and " is " in text else None
        if m is None or m.group(0) in removed or not code(ln.text):
            continue
        out.append(finding(
            IDENTITY_COMPARISON, fc.path, ln.new_lineno, ln.text.strip(),
            f"`{shorten(ln.text.strip())}` compares with `{m.group(0).split()[0]}{' not' if ' not' in m.group(0) else ''}` "
            "against a computed value that is not a singleton: an equal number or string need not be the same "
            "object (`float(\"inf\") is math.inf` is False), so the test gives the wrong answer for equal values.",
            "Compare with `==`/`!=` (or `math.isinf()`/`math.isnan()`), and keep `is` for `None`, `True`, `False` "
            "and sentinels.",
        ))
    return out


def _key(tok: str) -> tuple[str, str, str] | None:
    m = _STRING_TOKEN.match(tok)
    if m is None or not _KEYLIKE.fullmatch(m.group("body")):
        return None
    return m.group("prefix"), m.group("quote"), m.group("body")


def changed_cases(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/changed-case``: see the module doc; one finding per paired line."""
    out = []
    for block in blocks:
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.6):
            rc, ac = code(r.text), code(a.text)
            if not rc or not ac or a.new_lineno is None:
                continue
            dropped = _CASE_CALL.findall(rc) and not _CASE_CALL.findall(ac)
            ot = TOKEN.findall(_CASE_CALL.sub("", rc) if dropped else rc)
            nt = TOKEN.findall(ac)
            if len(ot) != len(nt):
                continue
            diff = [(o, n) for o, n in zip(ot, nt, strict=True) if o != n]
            if len(diff) != 1:
                continue
            old, new = _key(diff[0][0]), _key(diff[0][1])
            if old is None or new is None or old[:2] != new[:2] or old[2].lower() != new[2].lower():
                continue
            extra = f", and the `.{_CASE_CALL.search(rc).group(0)[1:-2]}()` that normalised the other side was dropped" if dropped else ""  # type: ignore[union-attr]
            out.append(finding(
                CHANGED_CASE, fc.path, a.new_lineno, ac,
                f"`{diff[0][0]}` became `{diff[0][1]}`{extra}: keys, keyword names and string comparisons are "
                "case-sensitive, so what matched before no longer does.",
                f"Keep `{diff[0][0]}`, or say in the description why the other spelling is the right one.",
            ))
    return out


def _bases(header: str) -> list[str] | None:
    m = _CLASS_HEADER.match(header)
    if m is None:
        return None
    try:
        node = ast.parse(f"class _C({m.group('bases')}): pass").body[0]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    assert isinstance(node, ast.ClassDef)
    return [ast.unparse(b) for b in node.bases]


def changed_base_classes(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/changed-base-class``: see the module doc; one finding per file, at the first edited
    class header (a reworked hierarchy changes many headers at once)."""
    out: list[Finding] = []
    for block in blocks:
        if out:
            break
        old_headers = {m.group("name"): r for r in block.removed if (m := _CLASS_HEADER.match(r.text))}
        if not old_headers:
            continue
        for a in block.added:
            m = _CLASS_HEADER.match(a.text)
            if m is None or a.new_lineno is None or m.group("name") not in old_headers:
                continue
            old, new = _bases(old_headers[m.group("name")].text), _bases(a.text)
            if old is None or new is None:
                continue
            kept = {b.split("[", 1)[0].rsplit(".", 1)[-1] for b in new}
            lost = [b for b in old if b not in new and b.split("[", 1)[0] not in _NEUTRAL_BASES
                    and b.split("[", 1)[0].rsplit(".", 1)[-1] not in kept]  # `IntFlag` -> `enum.IntFlag` is one base
            if not lost:
                continue
            shown = ", ".join(f"`{b}`" for b in lost)
            out.append(finding(
                CHANGED_BASE_CLASS, fc.path, a.new_lineno, a.text.strip(),
                f"`{m.group('name')}` no longer derives from {shown}"
                + (f" (now {', '.join(f'`{b}`' for b in new)})" if new else "")
                + f": `isinstance` checks and `except` clauses that expect {shown} stop matching it, and what it "
                "inherited is gone.",
                f"Keep {shown} among the bases (add the new one next to it), or say in the description why users no "
                "longer rely on it.",
            ))
            break
    return out


CHECK = Check(name="rewrites", agent=AGENT, rules=(CHANGED_BASE_CLASS, CHANGED_CASE, DROPPED_NONE_CHECK, IDENTITY_COMPARISON),
              run=run,
              languages=("python",), order=18)

__all__ = ["CHECK", "run"]
