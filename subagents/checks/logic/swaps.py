"""Check ``swaps``: one-token and one-call edits that keep a line plausible while changing what it
does: a look-alike name swapped in, a defensive copy or a method call dropped from an expression,
an ``except`` clause that catches other exceptions. Like :mod:`subagents.checks.logic.slips`,
written for what reversed bug fixes re-introduce on the development corpora (issue 12,
evals/RESULTS.md "Re-injected bugs", fifth session). Every rule is minor:

- ``logic/look-alike-name`` (every language, paired lines): the only token that changed is a name
  replaced by another name that contains it or is contained in it (``final_name`` -> ``name``,
  ``multi_items`` -> ``items``, ``_qs_quoter`` -> ``_quoter``), and the old name is still used
  elsewhere in the head file (so it was not renamed): the kind of slip that reads right and
  passes the wrong value. Capitalised names (classes) and imported names (modules) do not count.
- ``logic/dropped-copy`` (Python): a copy of a collection was removed and the original is used
  bare (``for d in list(dists):`` -> ``for d in dists:``, ``styles.copy()`` -> ``styles``,
  ``copy.deepcopy(x)`` -> ``x``, ``x[:]`` -> ``x``): the code now iterates over, or hands out and
  mutates, the shared object.
- ``logic/dropped-method-call`` (Python): one ``.method(...)`` link was removed from an expression
  and nothing else changed (``now().astimezone().strftime(fmt)`` -> ``now().strftime(fmt)``):
  the conversion it did is gone.
- ``logic/swapped-arguments`` (every language, paired lines): two arguments of the same call
  traded places and nothing else changed (``f(a, b)`` -> ``f(b, a)``).
- ``logic/flipped-boolean`` (every language, paired lines): the only token that changed is a
  boolean literal turned into its opposite (``strict=True`` -> ``strict=False``), after an
  operator, bracket or comma (not in prose), outside a ``return`` (``logic/changed-return``'s).
- ``logic/changed-operator`` (every language, paired lines): the only token that changed is an
  arithmetic or bitwise operator swapped for its counterpart (``+``/``-``, ``*``/``/``,
  ``&``/``|``) between two operands: the expression computes something else.
- ``logic/dropped-await`` (Python, JavaScript, TypeScript; paired lines): ``await`` (or the
  ``async`` of ``async with``/``async for``) was removed and nothing else changed: the coroutine
  or promise is created and never awaited, so its work does not happen (or happens later, its
  errors unseen).
- ``logic/loosened-regex`` (every language, paired lines): in a line that builds a regular
  expression, a string literal lost an anchor (``^``, ``$``, ``\\A``, ``\\Z``, ``\\b``) or an inline
  flag group (``(?m)``, ``(?i)``...), an end-of-string anchor became a line anchor (``\\Z`` ->
  ``$``, ``\\A`` -> ``^``), or the call lost a ``re.`` flag argument, and nothing else changed: the
  pattern now matches in other places or other text than before. An inline flag group lost
  (``(?a:`` -> ``(?:``) counts on any line, the lines of a verbose pattern included.
- ``logic/dropped-flag`` (every language, paired lines): a ``|``-combined set of named constants
  lost one (``os.O_RDWR | os.O_CREAT | os.O_TRUNC`` -> ``os.O_RDWR | os.O_CREAT``) and nothing else
  changed: the behaviour that flag switched on is gone.
- ``logic/narrowed-except`` (Python, syntax trees): an ``except`` clause edited in place (same
  function, paired in order) no longer names an exception class it caught
  (``except (TypeError, ValueError):`` -> ``except ValueError:``), or a whole typed clause of a
  ``try`` that stays was removed and no remaining clause catches its classes: those errors now
  propagate.
  Broadening is ``logic/swallowed-exception``'s.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from bot.core.diff import DiffLine, FileChange
from bot.core.models import Finding
from subagents._hunks import ChangeBlock, file_blocks, head_line_for_old, pair_lines
from subagents.checks.logic._lines import (
    CLOSE,
    OPEN,
    TOKEN,
    code,
    finding,
    live_runtime_files,
)
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import scoped_nodes, touched_trees
from subagents.view import CheckView

LOOK_ALIKE_NAME = "logic/look-alike-name"
DROPPED_COPY = "logic/dropped-copy"
DROPPED_METHOD_CALL = "logic/dropped-method-call"
NARROWED_EXCEPT = "logic/narrowed-except"
SWAPPED_ARGUMENTS = "logic/swapped-arguments"
FLIPPED_BOOLEAN = "logic/flipped-boolean"
DROPPED_AWAIT = "logic/dropped-await"
CHANGED_OPERATOR = "logic/changed-operator"
LOOSENED_REGEX = "logic/loosened-regex"
DROPPED_FLAG = "logic/dropped-flag"
_REGEX_CALL = re.compile(r"\bre\.(?:compile|match|fullmatch|search|sub|subn|split|findall|finditer)\s*\(|\bregex\b|"
                         r"\bRegExp\b|_RE\b|_REGEX\b|_PATTERN\b|\bpattern\b", re.IGNORECASE)
_ANCHOR = re.compile(r"\(\?[aiLmsux]+\)|\\[AZbB]|\^|\$")
_RE_FLAG = re.compile(r"\s*(?:,\s*)?(?:flags\s*=\s*)?(?:re\.(?:I|M|S|X|A|IGNORECASE|MULTILINE|DOTALL|VERBOSE|ASCII)\b\s*\|?\s*)+,?")
_FLAG_GROUP = re.compile(r"\(\?[aiLmsux]+(?:-[imsx]+)?[:)]")
"""An inline flag group, scoped (``(?a:...)``) or global (``(?m)``)."""
_WEAKER_ANCHORS = (("\\Z", "$"), ("\\A", "^"))
"""End/start-of-string anchors and the line anchors that also match before a final newline (``$``)
or, under ``re.MULTILINE``, at every line."""
_FLAG_NAME = r"(?:[A-Za-z_]\w*\.)*[A-Z][A-Z0-9_]+"
_FLAGS = (re.compile(rf"\s*\|\s*{_FLAG_NAME}(?![\w.])"), re.compile(rf"(?<![\w.]){_FLAG_NAME}\s*\|\s*"))
"""A named constant after a ``|`` (or before one, for the first of a set)."""
_OPERATOR_PAIRS = frozenset({frozenset("+-"), frozenset("*/"), frozenset("&|")})
"""Operators that a slip swaps for each other (comparisons are ``logic/inverted-condition``'s)."""

MIN_NAME = 4
"""The shorter of two look-alike names has at least this many characters (``i`` in ``items`` is no slip)."""
MAX_BLOCK = 8
"""Change blocks with more removed or added lines than this are not searched for dropped calls."""
_NAME = re.compile(r"[A-Za-z_]\w*$")
_WORD_KEYWORDS = frozenset({*keyword.kwlist, *keyword.softkwlist, "true", "false", "null", "nil", "this", "self",
                            "cls", "let", "const", "var", "func", "function", "return"})
_COPY_CALLS = ("list", "tuple", "copy.copy", "copy.deepcopy", "deepcopy", "copy")
_COPY_METHODS = frozenset({"copy", "deepcopy"})
_NEUTRAL_METHODS = frozenset({"keys"})
"""Methods whose removal rarely changes what the expression does (``sorted(d.keys())`` is ``sorted(d)``)."""
_EXCEPT = re.compile(r"^\s*except\b")
_BOOLEANS = {"True": "False", "False": "True", "true": "false", "false": "true"}
_BOOLEAN_CONTEXT = frozenset({"=", "(", ",", ":", "[", "{", "==", "!=", "is", "or", "and", "not", "else", "?", "||", "&&", "=>"})
"""Tokens that may precede a boolean literal in code (so ``Defaults to True.`` in a docstring is prose)."""
_AWAIT_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx"})
_AWAIT = re.compile(r"\bawait\s+|\basync\s+(?=(?:with|for)\b)")


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view):
        if (fc.language or "") == "python" and any(_EXCEPT.match(ln.text) for ln in fc.removed_lines()):
            base, head = touched_trees(view, fc)  # the clauses on changed lines are all it reads
            if base is not None and head is not None:
                out += narrowed_excepts(fc, base, head)
        blocks = [b for b in file_blocks(fc) if b.removed and b.added]
        if not blocks:
            continue
        head_text = view.head_text(fc.path)
        out += look_alike_names(fc, blocks, head_text, view.base_text(fc.old_path or fc.path))
        out += token_swaps(fc, blocks)
        out += loosened_regexes(fc, blocks)
        out += dropped_flags(fc, blocks)
        if (fc.language or "") in _AWAIT_LANGUAGES:
            out += dropped_awaits(fc, blocks)
        if (fc.language or "") == "python":
            out += dropped_calls(fc, blocks)
    return sorted(out, key=lambda f: f.line or 0)


def _token_edits(blocks: list[ChangeBlock]) -> Iterator[tuple[DiffLine, list[str], list[str], list[int]]]:
    """The paired removed/added code lines of ``blocks`` (similarity ratio >= 0.75) whose token
    lists (:data:`TOKEN`) have the same length: ``(added line, old tokens, new tokens, indices of
    the tokens that differ)``, the one-token edits that look-alike-name, flipped-boolean,
    changed-operator and swapped-arguments look for."""
    for block in blocks:
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.75):
            if a.new_lineno is None or not code(r.text):
                continue
            ot, nt = TOKEN.findall(r.text), TOKEN.findall(a.text)
            if len(ot) == len(nt):
                yield a, ot, nt, [i for i, (x, y) in enumerate(zip(ot, nt, strict=True)) if x != y]


# --- logic/look-alike-name ----------------------------------------------------------------------


def look_alike_names(fc: FileChange, blocks: list[ChangeBlock], head_text: str | None,
                     base_text: str | None) -> list[Finding]:
    """``logic/look-alike-name``: see the module doc; one finding per paired line."""
    if head_text is None or base_text is None:
        return []
    out = []
    for a, ot, nt, diff in _token_edits(blocks):
        if len(diff) != 1:
            continue
        i = diff[0]
        old, new = ot[i], nt[i]
        if not (_NAME.match(old) and _NAME.match(new)) or {old.lower(), new.lower()} & _WORD_KEYWORDS:
            continue
        short, long_ = sorted((old, new), key=len)
        if len(short) < MIN_NAME or short not in long_ or short.strip("_") == long_.strip("_"):
            continue
        if old[0].isupper() or new[0].isupper() or {old, new} & _imported_modules(head_text):
            continue  # classes and modules (``Path`` -> ``PurePath``, ``typing`` -> ``typing_extensions``)
        if i > 0 and ot[i - 1] in ("def", "class", "function", "func", "fn"):
            continue
        if i + 1 < len(ot) and ot[i + 1] == "=" and (i + 2 >= len(ot) or ot[i + 2] != "="):
            continue  # an assignment target or keyword name: a rename, not a swapped value
        if not _used_elsewhere(old, head_text, a.new_lineno) or not re.search(rf"(?<![\w$]){re.escape(new)}(?![\w$])", base_text):
            continue
        out.append(finding(
            LOOK_ALIKE_NAME, fc.path, a.new_lineno, a.text.strip(),
            f"`{old}` became the look-alike `{new}`, and `{old}` is still used elsewhere in this file: both names "
            "are in scope, so a swap between them reads right but passes the other value.",
            f"Check that `{new}` is meant here and not `{old}`.",
        ))
    return out


def _imported_modules(text: str) -> set[str]:
    """Names bound by ``import x`` / ``import x as y`` / ``from x import y`` lines of ``text``, and
    the modules named by them."""
    out: set[str] = set()
    for m in re.finditer(r"^\s*(?:from\s+([\w.]+)\s+)?import\s+([\w., ]+)", text, re.MULTILINE):
        if m.group(1):
            out.add(m.group(1).split(".")[0])
        for part in m.group(2).split(","):
            words = part.split()
            if words:
                out.add(words[-1].split(".")[0])
    return out


def _used_elsewhere(name: str, text: str, line: int) -> bool:
    pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    return any(pattern.search(t) for n, t in enumerate(text.splitlines(), 1) if n != line)


# --- logic/swapped-arguments and logic/flipped-boolean -----------------------------------------


def _enclosing_call(tokens: list[str], i: int, j: int) -> bool:
    """Tokens ``i < j`` sit at the same depth directly inside one ``(...)`` that follows a name or
    a closing bracket (a call), separated by a comma at that depth."""
    depth, opener, comma = 0, None, False
    stack: list[int] = []
    for k, tok in enumerate(tokens[: j + 1]):
        if tok in OPEN:
            stack.append(k)
        elif tok in CLOSE and stack:
            stack.pop()
        if k == i:
            depth, opener = len(stack), (stack[-1] if stack else None)
        elif i < k < j and tok == "," and len(stack) == depth and (stack[-1] if stack else None) == opener:
            comma = True
        elif i < k < j and len(stack) < depth:
            return False
    if opener is None or tokens[opener] != "(" or opener == 0 or len(stack) != depth or stack[-1] != opener:
        return False
    before = tokens[opener - 1]
    return comma and (bool(_NAME.match(before)) or before in CLOSE) and before not in _WORD_KEYWORDS


def token_swaps(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/swapped-arguments`` and ``logic/flipped-boolean``: see the module doc; one finding
    per paired line."""
    out = []
    for a, ot, nt, diff in _token_edits(blocks):
        if (len(diff) == 1 and _BOOLEANS.get(ot[diff[0]]) == nt[diff[0]] and "return" not in ot[: diff[0]]
                and diff[0] > 0 and ot[diff[0] - 1] in _BOOLEAN_CONTEXT):
            i = diff[0]
            context = "".join(ot[max(0, i - 2): i + 1]).replace("=", " = ").strip()
            out.append(finding(
                FLIPPED_BOOLEAN, fc.path, a.new_lineno, a.text.strip(),
                f"`{ot[i]}` became `{nt[i]}` here (`{context}`), and nothing else on the line changed: the "
                "behaviour this flag switches is now the opposite.",
                f"Check that `{nt[i]}` is meant, and say in the description why the behaviour flips.",
            ))
        elif len(diff) == 1 and _operator_swap(ot, nt, diff[0]):
            i = diff[0]
            op_old, op_new = ot[i], nt[i]
            out.append(finding(
                CHANGED_OPERATOR, fc.path, a.new_lineno, a.text.strip(),
                f"`{op_old}` became `{op_new}` and nothing else on the line changed: the expression computes "
                "something else.",
                f"Check that `{op_new}` is meant here.",
            ))
        elif (len(diff) == 2 and ot[diff[0]] == nt[diff[1]] and ot[diff[1]] == nt[diff[0]]
              and all(_NAME.match(ot[k]) or ot[k][:1] in "\"'0123456789" for k in diff)
              and not {ot[k] for k in diff} & _WORD_KEYWORDS and _enclosing_call(ot, diff[0], diff[1])):
            x, y = ot[diff[0]], ot[diff[1]]
            out.append(finding(
                SWAPPED_ARGUMENTS, fc.path, a.new_lineno, a.text.strip(),
                f"`{x}` and `{y}` traded places in this call and nothing else changed: each parameter now gets "
                "the other's value.",
                "Check the parameter order of the callee, or pass the arguments by keyword.",
            ))
    return out


def _operator_swap(ot: list[str], nt: list[str], i: int) -> bool:
    """Token ``i`` is a binary arithmetic or bitwise operator swapped for its counterpart, between
    two operands (a name, number, string or closing bracket before; a name, number, string or
    opening bracket after; ``+=`` -> ``-=`` counts): not a unary sign, ``**``, ``//`` or ``*args``."""
    if frozenset((ot[i], nt[i])) not in _OPERATOR_PAIRS or i == 0 or i + 1 >= len(ot):
        return False
    before, after = ot[i - 1], ot[i + 1]
    if after in ("*", "/") or before in ("*", "/", "return", "yield", "lambda", "in", "not", "and", "or", "else"):
        return False
    operand = re.compile(r"[\w$\"'`]")
    return bool(operand.match(before[-1:]) or before in CLOSE) and bool(operand.match(after[:1]) or after in OPEN or after == "=")


def _strings(text: str) -> list[str]:
    return [t for t in TOKEN.findall(text) if t[-1:] in "\"'" and len(t) > 1]


def loosened_regexes(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/loosened-regex``: see the module doc; one finding per paired line."""
    out = []
    for block in blocks:
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.7):
            if a.new_lineno is None:
                continue
            regex = bool(_REGEX_CALL.search(r.text))
            weakened = _weakened_anchor(r.text, a.text) if regex else None
            if weakened:
                out.append(finding(
                    LOOSENED_REGEX, fc.path, a.new_lineno, a.text.strip(),
                    f"The regular expression's `{weakened[0]}` became `{weakened[1]}` and nothing else changed: "
                    f"`{weakened[1]}` also matches before a final newline (and, under `re.MULTILINE`, at every line), so "
                    "the pattern now accepts text it rejected.",
                    f"Keep `{weakened[0]}`, or say in the description why the pattern may match more.",
                ))
                continue
            lost = (_lost_regex_parts(r.text, a.text) if regex else None) or _lost_flag_group(r.text, a.text)
            if lost:
                out.append(finding(
                    LOOSENED_REGEX, fc.path, a.new_lineno, a.text.strip(),
                    f"The regular expression lost `{lost}` and nothing else changed: it now matches in other places "
                    "(or other text) than before.",
                    f"Keep `{lost}`, or say in the description why the pattern may match more.",
                ))
    return out


def _one_changed_string(old: str, new: str) -> tuple[str, str] | None:
    """``(old literal, new literal)`` when the only edit of line ``old`` into ``new`` is to one of
    its string literals (same number of literals, exactly one differs, and the rest of the line is
    the same up to whitespace); else None."""
    ostr, nstr = _strings(old), _strings(new)
    if len(ostr) != len(nstr):
        return None
    changed = [(o, n) for o, n in zip(ostr, nstr, strict=True) if o != n]
    if len(changed) != 1 or _squash(old.replace(changed[0][0], changed[0][1], 1)) != _squash(new):
        return None
    return changed[0]


def _weakened_anchor(old: str, new: str) -> tuple[str, str] | None:
    """``(strong, weak)`` when the only edit of ``old`` is one end- or start-of-string anchor of a
    string literal made a line anchor (``\\Z`` -> ``$``, ``\\A`` -> ``^``); else None."""
    pair = _one_changed_string(old, new)
    if pair is None:
        return None
    o, n = pair
    return next(((strong, weak) for strong, weak in _WEAKER_ANCHORS if strong in o and o.replace(strong, weak, 1) == n), None)


def _lost_flag_group(old: str, new: str) -> str | None:
    """The inline flag group (``(?a:`` or ``(?m)``) that ``old`` lost to become ``new`` when that is
    the only edit (whitespace aside): such groups occur only in regular expressions, so this also
    reads the lines of a multi-line (verbose) pattern, which name no ``re`` call."""
    groups = _FLAG_GROUP.findall(old)
    if not groups or _FLAG_GROUP.findall(new) == groups:
        return None
    stripped = _FLAG_GROUP.sub(lambda m: "(?:" if m.group(0).endswith(":") else "", old)
    if _squash(stripped) != _squash(new):
        return None
    lost = Counter(groups) - Counter(_FLAG_GROUP.findall(new))
    return next(iter(lost), None)


def _lost_regex_parts(old: str, new: str) -> str | None:
    """What ``old`` lost to become ``new``: one anchor or inline flag inside one of its string
    literals, or a ``re.`` flag argument; None for any other edit."""
    flags = _RE_FLAG.search(old)
    if flags and "re." in flags.group(0) and _removed_span(old, new, (flags,)):
        return flags.group(0).strip(" ,|")
    pair = _one_changed_string(old, new)
    if pair is None:
        return None
    o, n = pair
    for m in _ANCHOR.finditer(o):
        if m.group(0) in ("^", "$") and m.start() > 0 and o[m.start() - 1] in "[\\":
            continue  # a negated class or an escaped character, not an anchor
        if o[:m.start()] + o[m.end():] == n:
            return m.group(0)
    return None


def dropped_flags(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/dropped-flag``: see the module doc; one finding per paired line."""
    out = []
    for block in blocks:
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.7):
            if a.new_lineno is None or "|" not in r.text or not code(r.text):
                continue
            m = _removed_span(r.text, a.text, (m for pattern in _FLAGS for m in pattern.finditer(r.text)))
            if m is not None:
                flag = m.group(0).strip(" |")
                out.append(finding(
                    DROPPED_FLAG, fc.path, a.new_lineno, a.text.strip(),
                    f"`{flag}` was dropped from the combined flags and nothing else changed: the behaviour it "
                    "switched on (creating, truncating, a mode bit) is gone.",
                    f"Keep `{flag}`, or say in the description why it is no longer needed.",
                ))
    return out


def dropped_awaits(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/dropped-await``: see the module doc; one finding per paired line."""
    out = []
    for block in blocks:
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.6):
            if a.new_lineno is None or not _AWAIT.search(r.text) or not code(r.text):
                continue
            m = _removed_span(r.text, a.text, _AWAIT.finditer(r.text))
            if m is not None:
                word = m.group(0).strip()
                out.append(finding(
                    DROPPED_AWAIT, fc.path, a.new_lineno, a.text.strip(),
                    f"`{word}` was removed and nothing else changed: the coroutine (or promise) is created but never "
                    "awaited, so its work does not happen when the code expects it and its errors go unseen.",
                    f"Keep `{word}`.",
                ))
    return out


# --- logic/dropped-copy and logic/dropped-method-call ---------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _removed_span(old: str, new: str, matches: Iterable[re.Match[str]]) -> re.Match[str] | None:
    """The first of ``matches`` (spans of line ``old``) whose removal leaves ``new``, whitespace
    aside: the edit took out that span and nothing else. None when no span does."""
    target = _squash(new)
    return next((m for m in matches if _squash(old[:m.start()] + old[m.end():]) == target), None)


def _call_end(text: str, open_at: int) -> int | None:
    """Index just past the bracket that closes ``text[open_at]``, or None."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in OPEN:
            depth += 1
        elif text[i] in CLOSE:
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _without_copies(text: str) -> list[tuple[str, str]]:
    """``(text with one copy taken out, the copy's spelling)`` for each copy in ``text``."""
    out = []
    for m in re.finditer(r"(?<![\w.])(" + "|".join(re.escape(c) for c in _COPY_CALLS) + r")\(", text):
        end = _call_end(text, m.end() - 1)
        inner = text[m.end():end - 1] if end else ""
        if end and inner.strip() and "," not in inner and not inner.strip().startswith(("*", "(")):
            out.append((text[:m.start()] + inner + text[end:], f"{m.group(1)}(...)"))
    for m in re.finditer(r"\.(copy|deepcopy)\(\s*\)", text):
        out.append((text[:m.start()] + text[m.end():], f".{m.group(1)}()"))
    for m in re.finditer(r"(?<=[\w)\]])\[\s*:\s*\]", text):
        out.append((text[:m.start()] + text[m.end():], "[:]"))
    return out


def _without_method_calls(text: str) -> list[tuple[str, str]]:
    """``(text with one `.name(...)` link taken out, the link's name)`` for each method call that
    follows a call or a name (``a.b().c()`` gives ``a.c()``... and ``a.b()``)."""
    out = []
    for m in re.finditer(r"(?<=[\w)\]])\.([A-Za-z_]\w*)\(", text):
        end = _call_end(text, m.end() - 1)
        if end and m.group(1) not in _NEUTRAL_METHODS:
            out.append((text[:m.start()] + text[end:], m.group(1)))
    return out


def dropped_calls(fc: FileChange, blocks: list[ChangeBlock]) -> list[Finding]:
    """``logic/dropped-copy`` and ``logic/dropped-method-call``: see the module doc. Each removed
    line of a small change block is tried against each added line of it (a removed ``).copy()``
    pairs with the ``)`` left), one finding per added line."""
    out = []
    for block in blocks:
        if len(block.removed) > MAX_BLOCK or len(block.added) > MAX_BLOCK:
            continue
        used: set[int] = set()
        for r in block.removed:
            if "(" not in r.text and "[" not in r.text:
                continue
            for a in block.added:
                if a.new_lineno is None or a.new_lineno in used or not code(a.text):
                    continue
                target = _squash(a.text)
                hit = next(((DROPPED_COPY, what) for t, what in _without_copies(r.text) if _squash(t) == target), None)
                if hit is None:
                    hit = next(((DROPPED_COPY if what in _COPY_METHODS else DROPPED_METHOD_CALL, f".{what}()")
                                for t, what in _without_method_calls(r.text) if _squash(t) == target), None)
                if hit is None:
                    continue
                rule, what = hit
                used.add(a.new_lineno)
                if rule == DROPPED_COPY:
                    message = (f"The copy `{what}` was removed: the code now iterates over or hands out the original "
                               "object, so changes made to it meanwhile (or through the result) affect both.")
                    advice = "Keep the copy, or say in the description why the object can no longer change."
                else:
                    message = (f"The call `{what}` was removed from this expression and nothing else changed: the "
                               "conversion or check it did is gone.")
                    advice = f"Check that the value no longer needs `{what}`."
                out.append(finding(rule, fc.path, a.new_lineno, a.text.strip(), message, advice))
                break
    return out


# --- logic/narrowed-except ------------------------------------------------------------------------


def _handlers(tree: ast.AST, changed: set[int]) -> dict[str, list[ast.ExceptHandler]]:
    """Per enclosing function (qualified name, ``""`` at module level): its typed ``except``
    clauses whose first line is ``changed``, in source order."""
    out: dict[str, list[ast.ExceptHandler]] = {}
    for qual, child in scoped_nodes(tree):
        if isinstance(child, ast.ExceptHandler) and child.type is not None and child.lineno in changed:
            out.setdefault(qual, []).append(child)
    for handlers in out.values():
        handlers.sort(key=lambda h: (h.lineno, h.col_offset))
    return out


def _caught(handler: ast.ExceptHandler) -> set[str]:
    t = handler.type
    elts = t.elts if isinstance(t, ast.Tuple) else [t]
    return {ast.unparse(e) for e in elts if e is not None}


def narrowed_excepts(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/narrowed-except``: see the module doc; one finding per clause, at its head line."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    before, after = _handlers(base, removed), _handlers(head, added)
    out = []
    for qual, bhandlers in before.items():
        hhandlers = after.get(qual, [])
        if len(hhandlers) != len(bhandlers):
            continue
        for b, h in zip(bhandlers, hhandlers, strict=True):
            old, new = _caught(b), _caught(h)
            lost = sorted(old - new)
            if not lost or old == new or "Exception" in new or "BaseException" in new:
                continue
            where = f"in `{qual}`" if qual else "at module level"
            out.append(finding(
                NARROWED_EXCEPT, fc.path, h.lineno, f"{qual}: except {ast.unparse(h.type)}"[:120],  # type: ignore[arg-type]
                f"The `except` {where} no longer catches {', '.join(f'`{x}`' for x in lost)} "
                f"(`except {ast.unparse(b.type)}` -> `except {ast.unparse(h.type)}`): "  # type: ignore[arg-type]
                "those errors now propagate to the caller instead of being handled here.",
                "Keep the exception classes the handler caught, or say in the description why they can no longer occur.",
            ))
    return out + removed_clauses(fc, base, head, removed)


def _tries(tree: ast.AST) -> dict[str, list[ast.Try]]:
    out: dict[str, list[ast.Try]] = {}
    for qual, child in scoped_nodes(tree):
        if isinstance(child, ast.Try) and child.handlers:
            out.setdefault(qual, []).append(child)
    return out


def removed_clauses(fc: FileChange, base: ast.AST, head: ast.AST, removed: set[int]) -> list[Finding]:
    """``logic/narrowed-except``, a whole clause: a ``try`` that stays (its ``try:`` line
    unchanged) lost a typed ``except`` clause whose lines were all removed, the head ``try`` of the
    same function keeps the other clauses in order, and none of them (nor an ``Exception``
    handler) catches what the lost one did. One finding per lost clause, at the head line where it was."""
    htries = _tries(head)
    out = []
    for qual, btries in _tries(base).items():
        for bt in btries:
            if bt.lineno in removed or len(bt.handlers) < 2:
                continue
            gone = [h for h in bt.handlers if h.type is not None and all(
                n in removed for n in range(h.lineno, (h.end_lineno or h.lineno) + 1))]
            if not gone:
                continue
            kept = [_caught(h) for h in bt.handlers if h not in gone]
            match = [ht for ht in htries.get(qual, []) if [_caught(h) for h in ht.handlers] == kept]
            if len(match) != 1:
                continue
            still = set().union(*kept) if kept else set()
            for h in gone:
                lost = sorted(_caught(h) - still)
                if not lost or still & {"Exception", "BaseException"}:
                    continue
                where = f"in `{qual}`" if qual else "at module level"
                out.append(finding(
                    NARROWED_EXCEPT, fc.path, head_line_for_old(fc, h.lineno), f"{qual}: except {ast.unparse(h.type)}"[:120],  # type: ignore[arg-type]
                    f"The `except {ast.unparse(h.type)}` clause {where} was removed while its `try` stays: "  # type: ignore[arg-type]
                    f"{', '.join(f'`{x}`' for x in lost)} now propagate to the caller instead of being handled here.",
                    "Keep the clause, or say in the description why those errors can no longer occur.",
                ))
    return out


CHECK = Check(name="swaps", agent=AGENT, rules=(
    CHANGED_OPERATOR, DROPPED_AWAIT, DROPPED_COPY, DROPPED_FLAG, DROPPED_METHOD_CALL, FLIPPED_BOOLEAN, LOOK_ALIKE_NAME,
    LOOSENED_REGEX, NARROWED_EXCEPT, SWAPPED_ARGUMENTS),
              run=run, order=18)

__all__ = ["CHECK", "run"]
