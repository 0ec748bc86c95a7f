"""Check ``slips``: one-token edits that change what a line means while it still reads right: a
copy-paste field, a lost regex escape, a parameter default removed or changed, a narrowed type
check, an unparenthesised walrus. Like :mod:`subagents.checks.logic.dropped`, written for what
reversed bug fixes re-introduce (issue 12, evals/RESULTS.md "Re-injected bugs", third session).
Every rule is minor and reads only the diff, the head text and, for parameter defaults, both
versions parsed with :mod:`ast`:

- ``logic/mismatched-field`` (every language): an added ``key: obj.other`` (or ``key=obj.other``)
  among at least two neighbours of the form ``k: obj.k``, where ``other`` is itself a neighbour's
  key: a copy-paste slip.
- ``logic/unescaped-regex`` (every language): a line that builds a regular expression lost a
  backslash before a metacharacter (``\\.`` -> ``.`` now matches any character).
- ``logic/removed-default`` (Python): a parameter of a function present on both sides lost its
  default value: every call that omits it now raises ``TypeError``.
- ``logic/changed-default`` (Python): a parameter kept its name but its default value changed
  (``allow_redirects=True`` -> ``False``): every call that omits it now behaves differently.
- ``logic/narrowed-type-check`` (Python): an ``isinstance``/``issubclass`` check on the same value
  lost a type from its tuple (``(bytes, str)`` -> ``bytes``) or traded an abstract collection type
  for a concrete one (``Mapping`` -> ``dict``): values it accepted now take the other path.
- ``logic/dropped-fallback`` (every language): ``value or {}`` / ``value || []`` lost its
  fallback and the value is used bare (``(extra or {}) == (other or {})`` -> ``extra == other``):
  an empty or missing value no longer gets the default the code relied on.
- ``logic/swapped-accessor`` (every language): ``.keys()``, ``.values()`` and ``.items()`` swapped
  on the same object, the rest of the line unchanged.
- ``logic/walrus-precedence`` (Python): ``if name := value == other`` without parentheses binds
  the comparison's result, not the value (PEP 572: ``:=`` binds more loosely than comparisons).

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from difflib import SequenceMatcher

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents._hunks import ChangeBlock, file_blocks, pair_lines
from subagents.checks.logic._lines import (
    CLOSE,
    OPEN,
    TOKEN,
    finding,
    live_runtime_files,
)
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import _parse, qualified_functions, touched_trees
from subagents.view import CheckView

MISMATCHED_FIELD = "logic/mismatched-field"
UNESCAPED_REGEX = "logic/unescaped-regex"
REMOVED_DEFAULT = "logic/removed-default"
CHANGED_DEFAULT = "logic/changed-default"
NARROWED_TYPE_CHECK = "logic/narrowed-type-check"
WALRUS = "logic/walrus-precedence"
DROPPED_FALLBACK = "logic/dropped-fallback"
SWAPPED_ACCESSOR = "logic/swapped-accessor"

SIBLING_WINDOW = 12
"""Head lines either side of an added ``key: value`` line searched for its siblings."""
MIN_SIBLINGS = 2
_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z_]\w*)\s*(?::|=(?!=))\s*(?P<value>(?:[A-Za-z_]\w*(?:\.|->|::))+(?P<last>[A-Za-z_]\w*))"
                    r"\s*(?:\(\s*\))?\s*,?\s*(?:(?:#|//).*)?$")
_REGEX_CONTEXT = re.compile(r"\bre\.(?:compile|match|fullmatch|search|sub|subn|split|findall|finditer)\b|Regex|RegExp|"
                            r"regexp\.|_RE\b|_REGEX\b|_PATTERN\b|\bpattern\b|\bregex\b", re.IGNORECASE)
_META = ".^$*+?()[]{}|"
_WALRUS = re.compile(r"^\s*(?:if|elif|while)\s+\(?\s*[A-Za-z_]\w*\s*:=")
_COMPARISON = re.compile(r"==|!=|<=|>=|<|>|\bnot\s+in\b|\bin\b|\bis\b")
_FALLBACK_LITERAL = r"(?:\{\s*\}|\[\s*\]|\(\s*\)|\"\"|''|0|0\.0|False|set\(\)|dict\(\)|list\(\)|tuple\(\)|frozenset\(\))"
_OPERAND = r"[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_$][\w$]*|\([^()]*\)|\[[^\[\]]*\])*"
_FALLBACK = re.compile(rf"\(\s*(?P<a>{_OPERAND})\s*(?:\bor\b|\|\|)\s*{_FALLBACK_LITERAL}\s*\)"
                       rf"|(?P<b>{_OPERAND})\s*(?:\bor\b|\|\|)\s*{_FALLBACK_LITERAL}(?![\w.(\[])")
_ACCESSORS = frozenset({"keys", "values", "items"})


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed runtime code files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view):
        blocks = file_blocks(fc)
        head_text = view.head_text(fc.path)
        out += mismatched_fields(fc, head_text)
        out += unescaped_regexes(fc, blocks)
        out += dropped_fallbacks(fc, blocks)
        out += swapped_accessors(fc, blocks)
        if (fc.language or "") == "python":
            out += walrus_precedence(fc)
            out += narrowed_type_checks(fc, blocks)
            if any("=" in ln.text for ln in fc.removed_lines()):
                base_text = view.base_text(fc.old_path or fc.path)
                out += removed_defaults(fc, base_text, head_text, lambda: touched_trees(view, fc))
    return out


# --- logic/mismatched-field --------------------------------------------------------------------


def mismatched_fields(fc: FileChange, head_text: str | None) -> list[Finding]:
    """``logic/mismatched-field``: see the module doc."""
    if head_text is None:
        return []
    lines: list[str] | None = None  # split on first use: most changes add no field line
    out = []
    for ln in fc.added_lines():
        m = _FIELD.match(ln.text)
        if not m or ln.new_lineno is None or m.group("key") == m.group("last"):
            continue
        if lines is None:
            lines = head_text.splitlines()
        owner = m.group("value")[: -len(m.group("last"))]
        keys = set()
        for n in range(max(0, ln.new_lineno - 1 - SIBLING_WINDOW), min(len(lines), ln.new_lineno + SIBLING_WINDOW)):
            if n == ln.new_lineno - 1:
                continue
            s = _FIELD.match(lines[n])
            if s and s.group("key") == s.group("last") and s.group("value")[: -len(s.group("last"))] == owner:
                keys.add(s.group("key"))
        if len(keys) >= MIN_SIBLINGS and m.group("last") in keys:
            key, value = m.group("key"), m.group("value")
            out.append(finding(
                MISMATCHED_FIELD, fc.path, ln.new_lineno, ln.text.strip(),
                f"`{key}` is set from `{value}`, while its neighbours each take their own name "
                f"(`{m.group('last')}: {owner}{m.group('last')}` is one of them): this looks like a copy-paste slip.",
                f"Use `{owner}{key}` if that is what was meant.",
            ))
    return out


# --- logic/unescaped-regex ---------------------------------------------------------------------


def unescaped_regexes(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/unescaped-regex``: paired lines in a regex context that differ only by backslashes
    removed before metacharacters."""
    out = []
    for block in blocks:
        if not block.removed or not block.added:
            continue
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.8):
            if a.new_lineno is None or "\\" not in r.text or not _REGEX_CONTEXT.search(r.text):
                continue
            lost = _lost_escapes(r.text.strip(), a.text.strip())
            if lost:
                out.append(finding(
                    UNESCAPED_REGEX, fc.path, a.new_lineno, a.text.strip(),
                    f"The regular expression lost the escape of {', '.join(f'`{c}`' for c in lost)}: an unescaped "
                    f"`{lost[0]}` is a metacharacter{' (any character)' if lost[0] == '.' else ''}, so the pattern "
                    "now matches more than before.",
                    "Keep the backslash, or say in the description why the character is meant as a metacharacter.",
                ))
    return out


def _lost_escapes(old: str, new: str) -> list[str]:
    chars: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "delete" or set(old[i1:i2]) != {"\\"} or i2 >= len(old) or old[i2] not in _META:
            return []
        if old[i2] not in chars:
            chars.append(old[i2])
    return chars


# --- logic/dropped-fallback and logic/swapped-accessor ------------------------------------------


def _without_fallbacks(text: str) -> str:
    return _FALLBACK.sub(lambda m: m.group("a") or m.group("b"), text)


def dropped_fallbacks(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/dropped-fallback``: paired lines where the new one is the old one with its
    ``or``/``||`` literal fallbacks taken out (and nothing else changed)."""
    out = []
    for block in blocks:
        if not block.removed or not block.added:
            continue
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.6):
            if a.new_lineno is None or not _FALLBACK.search(r.text):
                continue
            stripped = _without_fallbacks(r.text)
            if stripped != r.text and re.sub(r"\s+", "", stripped) == re.sub(r"\s+", "", a.text):
                fallback = _FALLBACK.search(r.text).group(0)  # type: ignore[union-attr]
                out.append(finding(
                    DROPPED_FALLBACK, fc.path, a.new_lineno, a.text.strip(),
                    f"The fallback in `{fallback.strip('() ')}` was removed: an empty or missing value is now used as "
                    "it is instead of the default the code relied on.",
                    "Keep the fallback, or say in the description why the value can no longer be empty or missing.",
                ))
    return out


def swapped_accessors(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/swapped-accessor``: paired lines whose only token change is one of ``keys``,
    ``values``, ``items`` after a dot replaced by another of them."""
    out = []
    for block in blocks:
        if not block.removed or not block.added:
            continue
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.8):
            ot, nt = TOKEN.findall(r.text), TOKEN.findall(a.text)
            if a.new_lineno is None or len(ot) != len(nt):
                continue
            diff = [(x, y, i) for i, (x, y) in enumerate(zip(ot, nt, strict=True)) if x != y]
            if len(diff) == 1 and {diff[0][0], diff[0][1]} <= _ACCESSORS and diff[0][2] > 0 and ot[diff[0][2] - 1] == ".":
                old, new = diff[0][0], diff[0][1]
                out.append(finding(
                    SWAPPED_ACCESSOR, fc.path, a.new_lineno, a.text.strip(),
                    f"`.{old}()` became `.{new}()` on the same object: the code now gets the mapping's {new} where it "
                    f"used its {old}.",
                    f"Check that `.{new}()` is what is meant here.",
                ))
    return out


# --- logic/removed-default ---------------------------------------------------------------------


def _defaults(func: ast.AST) -> dict[str, tuple[str, int]]:
    """Parameter name -> (default source, line) for parameters with a default."""
    args = func.args  # type: ignore[attr-defined]
    positional = [*args.posonlyargs, *args.args]
    out = {}
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True):
        out[arg.arg] = (ast.unparse(default), arg.lineno)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is not None:
            out[arg.arg] = (ast.unparse(default), arg.lineno)
    return out


def _params(func: ast.AST) -> dict[str, int]:
    args = func.args  # type: ignore[attr-defined]
    return {a.arg: a.lineno for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _is_overload(func: ast.AST) -> bool:
    """Decorated ``@overload`` or ``@<anything>.overload``."""
    return any(isinstance(d, ast.Name) and d.id == "overload" or isinstance(d, ast.Attribute) and d.attr == "overload"
               for d in func.decorator_list)  # type: ignore[attr-defined]


def _defs(tree: ast.AST) -> dict[str, ast.AST]:
    """Qualified name -> function node, ``@overload`` stubs left out; only definitions nested in
    definitions (:func:`subagents.logic_calls.qualified_functions` with nothing else descended)."""
    return qualified_functions(tree, descend=(), skip=_is_overload)


def removed_defaults(fc: FileChange, base_text: str | None, head_text: str | None,
                     trees: Callable[[], tuple[ast.AST | None, ast.AST | None]] | None = None) -> list[Finding]:
    """``logic/removed-default``: see the module doc; one finding per parameter, at its head line.
    ``trees`` gives the shared ``ast`` trees of both texts (:func:`subagents.logic_calls.touched_trees`);
    by default they are parsed here."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    base, head = trees() if trees is not None else (_parse(base_text), _parse(head_text))
    if base is None or head is None:
        return []
    hdefs = _defs(head)
    out = []
    for qual, bfunc in _defs(base).items():
        hfunc = hdefs.get(qual)
        if hfunc is None:
            continue
        hparams, hdefaults = _params(hfunc), _defaults(hfunc)
        for name, (default, line) in _defaults(bfunc).items():
            if line not in removed or name not in hparams or hparams[name] not in added:
                continue
            if name in hdefaults:
                new = hdefaults[name][0]
                if new != default and not _same_default(default, new):
                    out.append(finding(
                        CHANGED_DEFAULT, fc.path, hparams[name], f"{qual}({name}={new})",
                        f"The default of `{name}` in `{qual}` changed from `{default}` to `{new}`: every call that "
                        "leaves it out now behaves differently.",
                        "Say in the description that callers relying on the old default change behaviour, or keep it.",
                    ))
                continue
            out.append(finding(
                REMOVED_DEFAULT, fc.path, hparams[name], f"{qual}({name})",
                f"Parameter `{name}` of `{qual}` lost its default (`{default}`): every call that leaves it out now "
                "raises TypeError.",
                f"Keep `{name}={default}`, or update the callers and say so in the description.",
            ))
    return out


def _same_default(old: str, new: str) -> bool:
    """Defaults that differ only in spelling (quotes, a typing cast) are the same."""
    try:
        return ast.dump(ast.parse(old, mode="eval")) == ast.dump(ast.parse(new, mode="eval"))
    except SyntaxError:
        return False


# --- logic/narrowed-type-check -----------------------------------------------------------------

_ABSTRACT = {
    "Mapping": {"dict", "Dict", "OrderedDict", "defaultdict"}, "MutableMapping": {"dict", "Dict"},
    "Sequence": {"list", "List", "tuple", "Tuple"}, "MutableSequence": {"list", "List"},
    "Iterable": {"list", "List", "tuple", "Tuple", "set", "Set"}, "Collection": {"list", "tuple", "set", "dict"},
    "Set": {"set", "frozenset"}, "AbstractSet": {"set", "frozenset"}, "MutableSet": {"set"},
    "Number": {"int", "float"}, "Real": {"int", "float"}, "Integral": {"int"}, "PathLike": {"Path", "str"},
}
_TYPE_CALL = re.compile(r"\b(isinstance|issubclass)\s*\(")


def _type_checks(text: str) -> list[tuple[str, str, set[str]]]:
    """``(function, first argument source, type names)`` of each ``isinstance``/``issubclass``
    call on a line whose call parses on its own."""
    out = []
    for m in _TYPE_CALL.finditer(text):
        depth, end = 0, None
        for i in range(m.end() - 1, len(text)):
            if text[i] in OPEN:
                depth += 1
            elif text[i] in CLOSE:
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
        if end is None:
            continue
        try:
            call = ast.parse(text[m.start():end], mode="eval").body
        except SyntaxError:
            continue
        if not isinstance(call, ast.Call) or len(call.args) != 2:
            continue
        types = call.args[1].elts if isinstance(call.args[1], (ast.Tuple, ast.List)) else [call.args[1]]
        names = {ast.unparse(t).rsplit(".", 1)[-1] for t in types}
        out.append((m.group(1), ast.unparse(call.args[0]), names))
    return out


def narrowed_type_checks(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/narrowed-type-check``: see the module doc; paired lines, one finding per line."""
    out = []
    for block in blocks:
        if not block.removed or not block.added:
            continue
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.6):
            if a.new_lineno is None or "is" not in r.text:
                continue
            new = {(f, x): names for f, x, names in _type_checks(a.text)}
            for f, x, old in _type_checks(r.text):
                names = new.get((f, x))
                if names is None or names == old:
                    continue
                lost = sorted(old - names)
                concrete = sorted(t for t in lost if _ABSTRACT.get(t, set()) & names)
                if lost and (names < old or concrete):
                    why = (f"`{concrete[0]}` became the narrower `{min(_ABSTRACT[concrete[0]] & names)}`"
                           if concrete else f"`{', '.join(lost)}` was dropped from the accepted types")
                    out.append(finding(
                        NARROWED_TYPE_CHECK, fc.path, a.new_lineno, a.text.strip(),
                        f"`{f}({x}, ...)` accepts fewer types: {why}, so those values now take the other path.",
                        "Keep the wider check, or say in the description why those types are no longer expected.",
                    ))
                    break
    return out


# --- logic/walrus-precedence -------------------------------------------------------------------


def walrus_precedence(fc: FileChange) -> list[Finding]:
    """``logic/walrus-precedence``: an added ``if``/``elif``/``while`` whose unparenthesised
    ``name := ...`` is followed at bracket depth 0 by a comparison."""
    out = []
    for ln in fc.added_lines():
        m = _WALRUS.match(ln.text)
        if not m or ln.new_lineno is None:
            continue
        if "(" in m.group(0):
            continue  # ``if (x := ...)``: parenthesised
        rest = ln.text[m.end():]
        depth, flat = 0, []
        for tok in TOKEN.findall(rest):
            if tok in OPEN:
                depth += 1
            elif tok in CLOSE:
                depth -= 1
            elif depth == 0 and not tok.startswith(("'", '"')) and tok != ":":
                flat.append(tok)
        if _COMPARISON.search(" ".join(flat)):
            out.append(finding(
                WALRUS, fc.path, ln.new_lineno, ln.text.strip(),
                "`:=` binds more loosely than the comparison after it, so the name gets the comparison's result "
                "(True/False), not the value (PEP 572).",
                "Put the assignment in parentheses: `if (name := value) == other:`.",
            ))
    return out


CHECK = Check(name="slips", agent=AGENT, rules=(
    CHANGED_DEFAULT, DROPPED_FALLBACK, MISMATCHED_FIELD, NARROWED_TYPE_CHECK, REMOVED_DEFAULT, SWAPPED_ACCESSOR,
    UNESCAPED_REGEX, WALRUS,
), run=run, order=16)

__all__ = ["CHECK", "run"]
