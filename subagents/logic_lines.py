"""Line-level checks of the logic agent, for every language: token diffs of paired removed/added
lines (inverted conditions, boundary changes, loosened conditions, changed returns) and regex
fallbacks where no syntax tree is used (removed guards, swallowed errors, changed constants,
deleted or skipped tests in JavaScript/TypeScript, Go, Java, Rust, Ruby).

Pure: functions over :mod:`bot.core.diff` models and strings. Each check returns
:class:`Hit` s; :mod:`subagents.logic` turns them into findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.core.diff import ChangeKind, DiffLine, FileChange, LineKind
from subagents._hunks import ChangeBlock, file_blocks, pair_lines


@dataclass(frozen=True)
class Hit:
    """One problem at a head line: ``rule`` (``logic/...``), ``severity``, ``line`` (head line),
    ``anchor`` (stripped source text identifying the spot), ``message``, optional ``suggestion``;
    ``old_line`` is the base line when the problem is about removed code (so callers can drop it
    when that code was moved elsewhere or its whole function was deleted)."""

    rule: str
    severity: str
    line: int
    anchor: str
    message: str
    suggestion: str | None = None
    old_line: int | None = None


_HASH_COMMENT_LANGS = frozenset({"python", "ruby"})
_STR = r"(?P<str>[rbufRBUF]{0,2}\"(?:\\.|[^\"\\])*\"|[rbufRBUF]{0,2}'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`)"
_NUM = r"(?P<num>\d[\w.]*)"
_ID = r"(?P<id>[A-Za-z_$][\w$]*)"
_OP = (
    r"(?P<op>===|!==|\*\*=|//=|>>=|<<=|\?\?=|==|!=|<=|>=|&&|\|\||\?\?|\?\.|->|=>|::|:=|<<|>>|"
    r"\*\*|\+=|-=|\*=|/=|%=|&=|\|=|\^=|\+\+|--|//|[^\s\w])"
)
_TOKENS_HASH = re.compile(rf"(?P<comment>#.*)|{_STR}|{_NUM}|{_ID}|{_OP}")
_TOKENS_SLASH = re.compile(rf"(?P<comment>//.*|/\*.*?(\*/|$))|{_STR}|{_NUM}|{_ID}|{_OP}")


def tokens(line: str, lang: str | None) -> list[str]:
    """Tokens of one source line, comments dropped (``#`` for Python/Ruby, ``//`` and ``/* */``
    otherwise). Strings are single tokens; ``//`` is floor division in Python."""
    rx = _TOKENS_HASH if lang in _HASH_COMMENT_LANGS else _TOKENS_SLASH
    return [m.group(0) for m in rx.finditer(line) if m.lastgroup != "comment"]


_INVERT = {
    ("==", "!="), ("===", "!=="), ("or", "and"), ("||", "&&"), ("<", ">="), (">", "<="), ("<", ">"),
    ("if", "unless"),
}
_INVERT |= {(b, a) for a, b in _INVERT if (a, b) not in (("or", "and"), ("||", "&&"))}
_LOOSEN = {("and", "or"), ("&&", "||"), ("all", "any")}
"""Replacements that make a condition true more often."""
_BOUNDARY = {("<", "<="), (">", ">="), ("<=", "<"), (">=", ">")}
_NEGATIONS = (["not"], ["!"])
_CONJ = ("and", "&&")
_DISJ = ("or", "||")
_BOUNDARY_CONTEXT = frozenset({"<", ">", "<=", ">=", "range", "xrange", "len", "[", "length", "size", "slice", "substring", "substr", "subList", "for", "while"})
_COMPARISONS = frozenset({"<", ">", "<=", ">="})
_SHIFT_CONTEXT = _COMPARISONS | {"range", "xrange", "slice", "substring", "substr", "subList"}
"""Tokens that make an added or dropped ``+ x``/``- x`` a moved boundary rather than arithmetic."""
_NOT_OPERANDS = frozenset({"==", "!=", "===", "!==", "<", ">", "<=", ">=", "and", "or", "&&", "||", "not", "!", "=", "?", ":", ",", ";", "{", "}", "?.", "??", "=>"})
_KEYWORDS_BEFORE_NOT = frozenset({"if", "while", "elif", "return", "and", "or", "not", "yield", "case", "when", "unless", "until", "assert", "else", "do", "in", "of", "await", "throw", "new", "typeof", "void"})
"""Keywords after which ``!`` is a negation (not TypeScript's non-null ``x!``)."""


def _is_int(tok: str) -> bool:
    return tok.isdigit()


def _plus_minus_one(seg: list[str]) -> bool:
    return len(seg) == 2 and ((seg[0] in ("+", "-") and seg[1] == "1") or (seg[1] in ("+", "-") and seg[0] == "1"))


def _bounds(toks: list[str], i: int) -> bool:
    """True when token ``i`` can be a boundary: the line compares (``<``, ``<=``, ``>``, ``>=``),
    or the token sits inside brackets (an index or slice) or inside ``range(...)``."""
    if _COMPARISONS & set(toks):
        return True
    depth = 0
    for t in toks[:i]:
        depth += (t == "[") - (t == "]")
    if depth > 0:
        return True
    for j in range(i - 1, -1, -1):
        if toks[j] in ("range", "xrange") and j + 1 < len(toks) and toks[j + 1] == "(":
            return True
        if toks[j] in (";", "=", ":="):
            break
    return False


def _shift(seg: list[str]) -> bool:
    """``+ x`` / ``- x`` (or ``x +`` / ``x -``) where ``x`` is a short operand without comparisons."""
    if len(seg) < 2 or len(seg) > 8:
        return False
    if seg[0] in ("+", "-"):
        rest = seg[1:]
    elif seg[-1] in ("+", "-"):
        rest = seg[:-1]
    else:
        return False
    return bool(rest) and not any(t in _NOT_OPERANDS for t in rest) and (rest[0][:1].isalnum() or rest[0][:1] in "_$(")


_COMMENT_LINE = re.compile(r"^\s*(\*|/\*|//|#(?!\[)|<!--|--\s)")


def classify_pair(old: str, new: str, lang: str | None) -> tuple[str, str] | None:
    """Classify a removed line and the added line that replaced it.

    Returns ``(rule, what)`` when *every* difference between their tokens is one recognized edit:
    ``logic/inverted-condition`` (``==``/``!=``, ``is``/``is not``, ``or`` -> ``and``, ``<``/``>=``,
    an added or removed ``not``/``!``), ``logic/boundary-change`` (``<``/``<=``, ``>``/``>=``, an
    added, removed or flipped ``+ 1``/``- 1``, an integer changed by one, in a comparison, range,
    slice or index; an operand added to or dropped from one side of a comparison or range, such
    as ``start < size`` -> ``start + chunk < size``), ``logic/loosened-condition`` (``and`` ->
    ``or``, a dropped ``and`` clause, an added ``or`` clause, ``all`` -> ``any``) or
    ``logic/removed-guard`` (``?.`` -> ``.``, a dropped ``?? default``). When edits of several
    kinds combine, the first of inverted, removed guard, boundary, loosened is reported. None
    otherwise.
    """
    if _COMMENT_LINE.match(old) or _COMMENT_LINE.match(new):
        return None
    a, b = tokens(old, lang), tokens(new, lang)
    if a == b or not a or not b:
        return None
    kinds: list[str] = []
    both = set(a) | set(b)
    context = bool(_BOUNDARY_CONTEXT & both)
    shift_context = bool(_SHIFT_CONTEXT & both)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        sa, sb = a[i1:i2], b[j1:j2]
        kind = None
        if tag == "replace" and len(sa) == 1 and len(sb) == 1:
            x, y = sa[0], sb[0]
            if (x, y) in _BOUNDARY:
                kind = "logic/boundary-change"
            elif (x, y) in _LOOSEN:
                kind = "logic/loosened-condition"
            elif (x, y) in _INVERT:
                kind = "logic/inverted-condition"
            elif (x, y) == ("?.", "."):
                kind = "logic/removed-guard"
            elif _is_int(x) and _is_int(y) and abs(int(x) - int(y)) == 1 and _bounds(a, i1):
                kind = "logic/boundary-change"
            elif context and {x, y} == {"+", "-"} and i2 < len(a) and a[i2] == "1":
                kind = "logic/boundary-change"
        elif tag in ("insert", "delete"):
            seg = sb if tag == "insert" else sa
            before = (b[j1 - 1] if j1 > 0 else "") if tag == "insert" else (a[i1 - 1] if i1 > 0 else "")
            if seg in _NEGATIONS and not (seg == ["!"] and before not in _KEYWORDS_BEFORE_NOT and (before[-1:].isalnum() or before in (")", "]", "_"))):
                kind = "logic/inverted-condition"
            elif context and _plus_minus_one(seg):
                kind = "logic/boundary-change"
            elif shift_context and _shift(seg):
                kind = "logic/boundary-change"
            elif tag == "delete" and seg[0] == "??" and len(seg) >= 2:
                kind = "logic/removed-guard"
            elif tag == "delete" and (seg[0] in _CONJ or seg[-1] in _CONJ) and len(seg) >= 2:
                kind = "logic/loosened-condition"
            elif tag == "insert" and (seg[0] in _DISJ or seg[-1] in _DISJ) and len(seg) >= 2:
                kind = "logic/loosened-condition"
        if kind is None:
            return None
        kinds.append(kind)
    for rule in ("logic/inverted-condition", "logic/removed-guard", "logic/boundary-change", "logic/loosened-condition"):
        if rule in kinds:
            return rule, _WHAT[rule]
    return None


def added_clause(old: str, new: str, lang: str | None) -> list[str] | None:
    """When ``new`` is ``old`` with one ``and``/``&&`` clause added (a tightened condition), the
    tokens of that clause; None otherwise."""
    a, b = tokens(old, lang), tokens(new, lang)
    ops = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(ops) != 1 or ops[0][0] != "insert":
        return None
    seg = b[ops[0][3]:ops[0][4]]
    if len(seg) >= 2 and seg[0] in _CONJ:
        return seg[1:]
    if len(seg) >= 2 and seg[-1] in _CONJ:
        return seg[:-1]
    return None


_WHAT = {
    "logic/inverted-condition": "the condition is inverted",
    "logic/boundary-change": "a boundary moved (strict/non-strict comparison or an off-by-one)",
    "logic/loosened-condition": "the condition is looser (a required clause was dropped or an alternative added)",
    "logic/removed-guard": "a null-safe access (`?.` or `??`) was removed, so a null/undefined value now throws or leaks through",
}


_SENSITIVE = re.compile(
    r"(timeout|time_out|ttl|expir|deadline|limit|max|min_|retry|retries|attempt|backoff|delay|interval|"
    r"size|length|capacity|threshold|quota|rate|port|secret|key|token|salt|pepper|password|passwd|"
    r"iterations|rounds|work_factor|verify|ssl|tls|cert|cipher|algorithm|algo|hash|digest|auth(?!or)|"
    r"permission|role|admin|debug|allow|deny|whitelist|allowlist|blocklist|blacklist|cors|csrf|origin|"
    r"samesite|secure|httponly|encrypt|sign|pool|workers|concurrency|buffer|cache)",
    re.IGNORECASE,
)


def is_sensitive_name(name: str) -> bool:
    """True when a constant's name suggests a timeout, limit, retry count, size, pool or a security
    setting (``REQUEST_TIMEOUT``, ``MAX_RETRIES``, ``PBKDF2_ITERATIONS``, ``VERIFY_SSL``, ...):
    changing such a constant changes behaviour in ways tests rarely cover."""
    return bool(_SENSITIVE.search(name))


def _short(s: str, n: int = 100) -> str:
    s = s.strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def check_pairs(fc: FileChange, *, returns: bool, text: str = "", head_text: str | None = None,
                base_text: str | None = None) -> list[Hit]:
    """Token-diff checks over paired lines of each change block (see :func:`classify_pair`),
    major except an added ``or`` alternative (minor: usually the point of the change). With
    ``text`` (the pull request's title and description), also ``logic/inverted-condition`` for
    an added ``and``/``&&`` clause whose polarity contradicts the text (see
    :func:`text_contradicts`). With ``returns`` also ``logic/changed-return`` for a ``return``
    line whose value changed in any other way (major when its kind of value changed, e.g.
    ``true`` -> ``nil``), and for a removed ``return`` with no added one in its block (major when
    the block now throws instead). ``head_text`` (whole file) lets the clause check read the
    ``if`` body; with ``base_text`` too, an inverted condition that turned a wrapping ``if`` into
    an early exit (a guard clause: ``if x != nil { use(x) }`` -> ``if x == nil { continue }``,
    De Morgan's law over several lines) is recognized as the same logic and not reported.
    """
    lang = fc.language
    hits: list[Hit] = []
    head_lines = head_text.splitlines() if head_text is not None else None
    base_lines = base_text.splitlines() if base_text is not None else None
    for block in file_blocks(fc):
        paired_old: set[int] = set()
        for old, new in pair_lines(block.removed, block.added):
            got = classify_pair(old.text, new.text, lang)
            line = new.new_lineno or block.head_line
            if (got is not None and got[0] == "logic/inverted-condition" and new.new_lineno and old.old_lineno
                    and _guard_exit(head_lines, new.new_lineno, lang)
                    and _guard_exit(base_lines, old.old_lineno, lang) is False):
                paired_old.add(id(old))  # a wrapping `if` rewritten as an early exit: same logic
                continue
            if got is not None:
                rule, what = got
                severity = "minor" if rule == "logic/loosened-condition" and _only_added_alternative(old.text, new.text, lang) else "major"
                hits.append(Hit(rule, severity, line, new.text.strip(), f"`{_short(old.text)}` became `{_short(new.text)}`: {what}."))
                paired_old.add(id(old))
                continue
            clause = added_clause(old.text, new.text, lang) if text else None
            if clause is not None:
                reason = text_contradicts(clause, _body_exits(head_lines, line), text)
                if reason:
                    hits.append(Hit("logic/inverted-condition", "major", line, new.text.strip(),
                                    f"`{_short(new.text)}` {reason}.",
                                    "Check the polarity of the new clause against what the change is meant to do."))
                    paired_old.add(id(old))
                    continue
            if returns and _is_return(old.text) and _is_return(new.text) and tokens(old.text, lang) != tokens(new.text, lang):
                old_k, new_k = value_kind(old.text, lang), value_kind(new.text, lang)
                flip = old_k is not None and new_k is not None and old_k != new_k
                what = f" (a {old_k} became a {new_k})" if flip else ""
                hits.append(Hit("logic/changed-return", "major" if flip else "minor", line, new.text.strip(),
                                f"The return value changed{what}: `{_short(old.text)}` became `{_short(new.text)}`."))
                paired_old.add(id(old))
        if returns and not any(_is_return(ln.text) for ln in block.added):
            throws = any(_THROW.match(ln.text) for ln in block.added)
            for old in block.removed:
                if id(old) not in paired_old and _is_return(old.text) and len(tokens(old.text, lang)) > 1:
                    if throws:
                        hits.append(Hit("logic/changed-return", "major", block.head_line, old.text.strip(),
                                        f"A return path now throws instead of returning: `{_short(old.text)}`.",
                                        "Check that every caller handles the error; cover it with a test.", old_line=old.old_lineno))
                    else:
                        hits.append(Hit("logic/changed-return", "minor", block.head_line, old.text.strip(),
                                        f"A return path was removed: `{_short(old.text)}`.", old_line=old.old_lineno))
    return hits


_THROW = re.compile(r"^\s*(throw|raise|panic\()")
_KINDS = {
    "true": "bool", "false": "bool", "True": "bool", "False": "bool",
    "None": "null", "nil": "null", "null": "null", "undefined": "null",
}


def value_kind(line: str, lang: str | None) -> str | None:
    """The kind of value a one-line ``return`` yields when its expression is a single literal:
    ``bool``, ``null`` (None/nil/null/undefined or a bare ``return``), ``number``, ``string``;
    None otherwise."""
    toks = [t for t in tokens(line, lang) if t != ";"]
    if not toks or toks[0] != "return":
        return None
    rest = toks[1:]
    if not rest:
        return "null"
    if len(rest) == 2 and rest[0] == "-" and rest[1][:1].isdigit():
        rest = rest[1:]
    if len(rest) != 1:
        return None
    t = rest[0]
    if t in _KINDS:
        return _KINDS[t]
    if t[:1].isdigit():
        return "number"
    if t[:1] in "\"'`" or (len(t) > 1 and t[1:2] in "\"'" and t[:1].isalpha()):
        return "string"
    return None


def _only_added_alternative(old: str, new: str, lang: str | None) -> bool:
    """True when ``new`` is ``old`` plus ``or``/``||`` clauses and nothing else."""
    a, b = tokens(old, lang), tokens(new, lang)
    ops = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    return bool(ops) and all(op[0] == "insert" for op in ops)


_EXCLUDING_BODY = re.compile(r"^\s*(continue|break|raise|throw|return(\s+(None|False|false|nil|null|undefined))?\s*;?\s*$|return\s*;)")


_EXIT_STATEMENT = re.compile(
    r"^\s*(continue|break|raise\b|throw\b|panic\(|"
    r"return(\s+(None|False|false|nil|null|undefined|nil,\s*err|nil,\s*nil))?\s*;?\s*(}\s*)?$|return\s*;)"
)
"""The first statement of a guard clause: skip or leave (a ``return`` of nothing, None, nil, false ...)."""


def _guard_exit(lines: list[str] | None, line: int, lang: str | None = None) -> bool | None:
    """Whether the ``if`` whose condition includes ``lines[line]`` (1-based) starts its body with an
    early exit (:data:`_EXIT_STATEMENT`: ``continue``, ``break``, ``raise``, ``throw``, ``panic(``,
    a ``return`` of nothing/None/nil/false). The
    condition may span up to 8 lines (it ends at a line ending in ``:`` or ``{``); a one-line
    ``if c { return }`` counts. None when the lines are not available or no condition end is found."""
    if lines is None or not 0 < line <= len(lines):
        return None
    for i in range(line - 1, min(len(lines), line + 7)):
        text = lines[i].split("#", 1)[0].rstrip() if lang == "python" else lines[i].rstrip()
        brace = -1 if lang == "python" else text.find("{")
        if brace >= 0 and text[brace + 1:].strip():
            return bool(_EXIT_STATEMENT.match(text[brace + 1:]))
        if text.endswith((":", "{")):
            for nxt in lines[i + 1:i + 4]:
                if nxt.strip():
                    return bool(_EXIT_STATEMENT.match(nxt))
            return False
    return None


def _body_exits(head_lines: list[str] | None, line: int) -> bool:
    """True when the first statement after the condition on head ``line`` skips or exits
    (``continue``, ``break``, ``raise``, ``return None``...): the condition then selects what to
    leave out rather than what to keep."""
    if head_lines is None or line < 1:
        return False
    for nxt in head_lines[line : line + 3]:
        stripped = nxt.strip()
        if not stripped or stripped in ("{", "then", "do"):
            continue
        return bool(_EXCLUDING_BODY.match(nxt))
    return False


_SKIP_WORDS = r"(?:skip|skips|skipping|exclude|excludes|excluding|ignore|ignores|ignoring|drop|drops|hide|hides|hiding|omit|omits|filter\s+out|filters\s+out|not|never|no\s+longer|stop|stops)"
_FILLER = r"(?:[\w-]+\s+){0,3}?"


def _word_of(clause: list[str]) -> tuple[str, bool] | None:
    """The property a condition clause tests, and whether it is negated: ``not account.active``
    -> (``active``, True); ``user.isVerified`` -> (``verified``, False). None when the clause
    compares values (its polarity then is not a yes/no property)."""
    negated = False
    toks = list(clause)
    while toks and toks[0] in ("not", "!"):
        negated = not negated
        toks = toks[1:]
    if not toks or any(t in _NOT_OPERANDS or t in ("(", "[") for t in toks):
        return None
    idents = [t for t in toks if re.match(r"^[A-Za-z_$][\w$]*$", t)]
    if not idents:
        return None
    word = re.sub(r"([a-z])([A-Z])", r"\1_\2", idents[-1]).lower()
    word = re.sub(r"^(is|has|was|can|should)_", "", word)
    return (word, negated) if len(word) >= 3 else None


def text_contradicts(clause: list[str], excluding: bool, text: str) -> str | None:
    """Why an added condition clause contradicts the pull request ``text``, or None.

    The clause tests a yes/no property (``account.active``, ``not user.is_admin``). In an ``if``
    that keeps items (``excluding`` False) a negated clause keeps those *without* the property;
    in an ``if`` that skips or exits (``excluding``) the opposite. The text wants the property
    kept when it says "only ... active" or "skip/exclude/ignore ... inactive" (``in``-, ``un``-,
    ``non``- prefixes), and left out when it says "skip ... active" or "only ... inactive".
    """
    got = _word_of(clause)
    if got is None:
        return None
    word, negated = got
    w = re.escape(word.replace("_", " ")).replace("\\ ", "[\\s_-]")
    neg_w = rf"(?:in|un|non-?|not\s+)(?:{w})"
    low = text.lower()
    wants_kept = re.search(rf"\bonly\s+{_FILLER}{w}\b", low) or re.search(rf"\b{_SKIP_WORDS}\s+{_FILLER}{neg_w}\b", low)
    wants_out = re.search(rf"\bonly\s+{_FILLER}{neg_w}\b", low) or re.search(rf"\b{_SKIP_WORDS}\s+{_FILLER}(?<![a-z-]){w}\b", low)
    if bool(wants_kept) == bool(wants_out):
        return None
    keeps_property = negated == excluding
    if bool(wants_kept) == keeps_property:
        return None
    does = f"{'skips' if excluding else 'keeps only'} what is {'not ' if negated else ''}`{word}`"
    return f"now {does}, while the description says to {'keep' if wants_kept else 'leave out'} what is `{word}`"
    return None


_RETURN = re.compile(r"^\s*return\b")


def _is_return(line: str) -> bool:
    return bool(_RETURN.match(line))


# --- regex fallbacks (non-Python) -----------------------------------------------------------

_GUARDS: dict[str, list[re.Pattern[str]]] = {
    "go": [
        re.compile(r"^\s*if\b.*\berr\s*!=\s*nil\b"),
        re.compile(r"^\s*if\b.*(==|!=)\s*nil\b"),
        re.compile(r"^\s*panic\("),
    ],
    "c-like": [
        re.compile(r"^\s*if\s*\(.*\)\s*\{?\s*(return|throw)\b"),
        re.compile(r"^\s*if\s*\(.*(===?|!==?)\s*(null|undefined|nil)\b"),
        re.compile(r"^\s*if\s*\(\s*!\s*[\w.$]+\s*\)"),
        re.compile(r"^\s*if\s*\(\s*typeof\b.*undefined"),
        re.compile(r"^\s*throw\b"),
        re.compile(r"^\s*(console\.)?assert\b"),
        re.compile(r"\b(Objects\.requireNonNull|Preconditions\.check\w+|invariant)\s*\("),
    ],
    "rust": [
        re.compile(r"^\s*if\b.*\{\s*return\b"),
        re.compile(r"^\s*return\s+Err\("),
        re.compile(r"\b(bail|ensure|assert|assert_eq|assert_ne|debug_assert)!\("),
        re.compile(r"^\s*(None|Err\(_?\w*\))\s*=>\s*return\b"),
    ],
    "ruby": [
        re.compile(r"^\s*raise\b"),
        re.compile(r"^\s*(return|raise)\b.*\b(if|unless)\b"),
        re.compile(r"^\s*(if|unless)\b.*\.nil\?"),
    ],
}
_FAMILY = {"go": "go", "javascript": "c-like", "typescript": "c-like", "tsx": "c-like", "java": "c-like", "rust": "rust", "ruby": "ruby"}


def _norm(line: str) -> str:
    return "".join(line.split())


def check_removed_guards(fc: FileChange) -> list[Hit]:
    """``logic/removed-guard`` for non-Python code: a removed line that looks like a guard (error
    check, null check, throw/panic, assertion, early return) with no identical added line anywhere
    in the file and no added line of the same guard shape in its change block."""
    patterns = _GUARDS.get(_FAMILY.get(fc.language or "", ""), [])
    if not patterns:
        return []
    added_norm = {_norm(ln.text) for ln in fc.added_lines()}
    hits: list[Hit] = []
    for block in file_blocks(fc):
        used: set[int] = set()
        for old in block.removed:
            matching = [p for p in patterns if p.search(old.text)]
            if not matching or _norm(old.text) in added_norm:
                continue
            twin = next((i for i, new in enumerate(block.added) if i not in used and any(p.search(new.text) for p in matching)), None)
            if twin is not None:
                used.add(twin)
                continue
            if _rewritten_as_expression(old.text, block.added):
                continue
            hits.append(Hit("logic/removed-guard", "major", block.head_line, old.text.strip(),
                            f"A guard was removed: `{_short(old.text)}`; the code after it now runs for inputs it used to reject.",
                            "Keep the check, or show with a test that the inputs it rejected are handled.", old_line=old.old_lineno))
    return hits


_GUARDED_NAME = re.compile(r"^\s*if\s*\(\s*(!\s*(?P<a>[\w$.]+)|(?P<b>[\w$.]+)\s*(===?|!==?)\s*(null|undefined))\s*\)")


def _rewritten_as_expression(old: str, added: list[DiffLine]) -> bool:
    """True when a removed ``if (!x)`` / ``if (x == null)`` guard's variable is tested again on an
    added line of its block as a ternary, ``&&``, ``?.`` or ``??`` (``return x ? x.name : ''``):
    the check was rewritten as an expression, not removed."""
    m = _GUARDED_NAME.match(old)
    if not m:
        return False
    name = re.escape(m.group("a") or m.group("b"))
    rx = re.compile(rf"(?<![\w$.]){name}\s*(\?(?!\?)|&&|\?\.|\?\?|(===?|!==?)\s*(null|undefined))")
    return any(rx.search(ln.text) for ln in added)


_SWALLOW_ONE_LINE = [
    re.compile(r"\bcatch\s*(\([^)]*\))?\s*\{\s*\}"),
    re.compile(r"\.catch\(\s*(\(\s*\w*\s*\)|\w+)\s*=>\s*(\{\s*\}|null|undefined|void 0|false|\[\])\s*\)"),
    re.compile(r"^\s*_\s*=\s*err\b"),
    re.compile(r"\brescue\s+nil\b"),
]
_CATCH_OPEN = re.compile(r"\bcatch\s*(\((?P<type>[^)]*)\))?\s*\{\s*$|^\s*if\s+(.*;\s*)?err\s*!=\s*nil\s*\{\s*$|^\s*rescue\b(?P<rtype>[^#]*)$")
_TRIVIAL = re.compile(r"^\s*(return(\s+(nil|null|undefined|None|false|nil,\s*nil))?;?|continue;?|pass|//.*|#.*)\s*$")
_TRIVIAL_GO = re.compile(r"^\s*(return(\s+(nil|false|nil,\s*nil))?|//.*)\s*$")
"""Go: ``if err != nil { continue }`` is the usual "try the next candidate" loop, not a swallow."""
_CLOSE = re.compile(r"^\s*(\}|end)\s*[;)]*\s*$")
_NARROW_JAVA = re.compile(r"^\s*(final\s+)?(?!Exception\b|Throwable\b|RuntimeException\b)[A-Z]\w*(\s*\|\s*\w+)*\s+\w+\s*$")


def check_swallowed(fc: FileChange) -> list[Hit]:
    """``logic/swallowed-exception`` for non-Python code: an added empty ``catch {}``,
    ``.catch(() => {})``, ``_ = err``, ``rescue nil``, or an added ``catch``/``if err != nil``/
    ``rescue`` block whose added body only returns nothing/nil, continues or is empty. A Java
    catch of one specific exception type is minor; everything else major."""
    if fc.language == "python":
        return []
    hits: list[Hit] = []
    for block in file_blocks(fc):
        added = block.added
        for i, ln in enumerate(added):
            text = ln.text
            line = ln.new_lineno or block.head_line
            if any(p.search(text) for p in _SWALLOW_ONE_LINE):
                hits.append(_swallow_hit(line, text, "major"))
                continue
            m = _CATCH_OPEN.search(text)
            if not m:
                continue
            body: list[str] = []
            closed = False
            for nxt in added[i + 1 : i + 6]:
                if _CLOSE.match(nxt.text):
                    closed = True
                    break
                body.append(nxt.text)
            trivial = _TRIVIAL_GO if fc.language == "go" else _TRIVIAL
            if closed and all(trivial.match(b) for b in body):
                severity = "minor" if fc.language == "java" and _NARROW_JAVA.match(m.group("type") or "") else "major"
                hits.append(_swallow_hit(line, text, severity))
    return hits


def check_emptied_handlers(fc: FileChange) -> list[Hit]:
    """``logic/swallowed-exception`` (major) for non-Python code: an unchanged ``catch (...) {``,
    ``if err != nil {`` or ``rescue`` line whose whole body was removed, so its closing line now
    follows it directly and the error is dropped (``if err != nil { return nil, err }`` ->
    ``if err != nil { }``). A body reduced to comments counts as empty too."""
    if fc.language == "python":
        return []
    hits: list[Hit] = []
    for h in fc.hunks:
        lines = h.lines
        for i, ln in enumerate(lines):
            if ln.kind is not LineKind.context or not _CATCH_OPEN.search(ln.text):
                continue
            j = i + 1
            removed_code = False
            while j < len(lines) and (lines[j].kind is LineKind.removed or (lines[j].kind is LineKind.added and _TRIVIAL_COMMENT.match(lines[j].text))):
                removed_code = removed_code or (lines[j].kind is LineKind.removed and not _TRIVIAL_COMMENT.match(lines[j].text))
                j += 1
            if removed_code and j < len(lines) and lines[j].kind is not LineKind.removed and _CLOSE.match(lines[j].text):
                line = ln.new_lineno or h.target_start
                hits.append(Hit("logic/swallowed-exception", "major", line, ln.text.strip(),
                                f"The body of `{_short(ln.text)}` was removed: the error is now dropped without logging or returning it.",
                                "Handle the error (return, log or wrap it), or remove the check and say why it cannot fail.",
                                old_line=next((x.old_lineno for x in lines[i + 1 : j] if x.kind is LineKind.removed), None)))
    return hits


_TRIVIAL_COMMENT = re.compile(r"^\s*(//.*|#.*|/\*.*|\*.*)?$")


def _swallow_hit(line: int, text: str, severity: str) -> Hit:
    return Hit("logic/swallowed-exception", severity, line, text.strip(),
               f"An error is caught and dropped without logging or re-raising: `{_short(text)}`.",
               "Log it, re-raise it, or handle the specific error you expect.")


_CONST: dict[str, re.Pattern[str]] = {
    "c-like": re.compile(
        r"^\s*(export\s+)?((public|private|protected|internal|static|final|readonly|const|let|var)\s+)*"
        r"([\w<>\[\]]+\s+)?(?P<name>[A-Za-z_$][\w$]*)\s*(:\s*[^=]+)?=\s*(?P<value>[^;]+?)\s*;?\s*(//.*)?$"
    ),
    "go": re.compile(r"^\s*(const\s+|var\s+)?(?P<name>[A-Za-z_]\w*)\s*(\w[\w.]*\s*)?=\s*(?P<value>[^/]+?)\s*(//.*)?$"),
    "rust": re.compile(r"^\s*(pub(\([\w:]+\))?\s+)?(const|static)\s+(?P<name>[A-Z_][A-Z0-9_]*)\s*:\s*[^=]+=\s*(?P<value>[^;]+);"),
    "ruby": re.compile(r"^\s*(?P<name>[A-Z][A-Z0-9_]*)\s*=\s*(?P<value>[^#]+?)\s*(#.*)?$"),
}
_LITERAL = re.compile(r"""^(-?\d[\w.]*(\s*[*+/-]\s*[\w.]+)*|"[^"]*"|'[^']*'|`[^`]*`|true|false|null|nil|None|True|False)$""")
_GO_BLOCK_OPEN = re.compile(r"^(const|var)\s*\(\s*$")


def go_block_lines(text: str | None) -> set[int]:
    """1-based line numbers inside top-level ``const (`` ... ``)`` / ``var (`` ... ``)`` blocks of Go source."""
    inside: set[int] = set()
    open_block = False
    for i, line in enumerate((text or "").splitlines(), 1):
        if open_block:
            if line.startswith(")"):
                open_block = False
            else:
                inside.add(i)
        elif _GO_BLOCK_OPEN.match(line):
            open_block = True
    return inside


def _top_level(text: str, lang: str | None, lineno: int, go_block: set[int]) -> bool:
    if lang == "go":
        return text.startswith(("const ", "var ")) or lineno in go_block
    if lang == "ruby":
        return True
    if not text[:1].isspace():
        return True
    return bool(re.search(r"\bstatic\b", text))


def constant_assignments(lines: list[tuple[int, str]], lang: str | None, go_block: set[int] | None = None) -> dict[str, tuple[int, str]]:
    """Top-level constant-looking assignments ``NAME = literal`` among ``(line, text)`` pairs
    (regex, per language family): name -> (line, value text). ``go_block`` holds the line numbers
    inside Go ``const (``/``var (`` blocks (see :func:`go_block_lines`)."""
    rx = _CONST.get(_FAMILY.get(lang or "", ""))
    if rx is None:
        return {}
    out: dict[str, tuple[int, str]] = {}
    for lineno, text in lines:
        if not _top_level(text, lang, lineno, go_block or set()):
            continue
        m = rx.match(text.rstrip())
        if not m:
            continue
        value = m.group("value").strip().rstrip(",")
        if _LITERAL.match(value) and not m.group("name").startswith("_"):
            out[m.group("name")] = (lineno, value)
    return out


def check_constants_regex(fc: FileChange, base_text: str | None = None, head_text: str | None = None) -> list[tuple[str, str, str, int]]:
    """Changed top-level constants in non-Python code: ``[(name, old value, new value, head line)]``
    for a name assigned a literal on a removed line and a different literal on an added line.
    ``base_text``/``head_text`` (whole files) locate Go ``const (`` blocks."""
    if fc.language == "python":
        return []
    old = constant_assignments([(ln.old_lineno or 0, ln.text) for ln in fc.removed_lines()], fc.language, go_block_lines(base_text))
    new = constant_assignments([(ln.new_lineno or 0, ln.text) for ln in fc.added_lines()], fc.language, go_block_lines(head_text))
    return [(name, old[name][1], new[name][1], new[name][0]) for name in new if name in old and old[name][1] != new[name][1]]


_SKIP_MARKER = re.compile(
    r"@pytest\.mark\.(skip\b(?!if)|xfail\b|skipif\(\s*True\b)|@unittest\.(skip\b(?!If|Unless)|expectedFailure\b)|"
    r"\bskipIf\(\s*True\b|\bskipUnless\(\s*False\b|"
    r"^\s*(it|test|describe|context|suite)\.(skip|todo)\b|^\s*x(it|describe|test|context)\s*\(|"
    r"#\[ignore\b|@(Disabled|Ignore)\b"
)
_SKIP_CALL = re.compile(r"\b(pytest\.(skip|xfail)\(|self\.skipTest\(|t\.(Skip|SkipNow|Skipf)\(|^\s*(skip|pending)\b(\s|\(|$))")
_CONDITIONAL = re.compile(r"^\s*(if|elif|else|except|unless|when|case)\b|^\s*\}?\s*else\b|\bif\b.*\{\s*$")


def check_skip_markers(fc: FileChange) -> list[Hit]:
    """``logic/deleted-test``: in a modified (not newly added) file, an added line that skips or
    xfails a test unconditionally: ``@pytest.mark.skip``/``xfail``, ``skipIf(True``,
    ``@unittest.skip``, ``it.skip(``, ``xit(``, ``#[ignore]``, ``@Disabled``; or a skip call
    (``pytest.skip(``, ``self.skipTest(``, ``t.Skip(``, RSpec ``skip``) whose previous line does
    not open a condition (environment-dependent skips such as ``if not HAS_PG: pytest.skip()``
    are allowed)."""
    if fc.kind is ChangeKind.added:
        return []
    hits = []
    for h in fc.hunks:
        prev = ""
        for ln in h.lines:
            text = ln.text
            stripped = text.strip()
            if ln.kind is LineKind.added and ln.new_lineno is not None and not stripped.startswith(("# ", "//")):
                conditional_call = _SKIP_CALL.search(text) and _CONDITIONAL.search(prev)
                if _SKIP_MARKER.search(text) or (_SKIP_CALL.search(text) and not conditional_call):
                    hits.append(Hit("logic/deleted-test", "major", ln.new_lineno, stripped,
                                    f"A test is now skipped or expected to fail: `{_short(text)}`.",
                                    "Fix the test instead of skipping it, or link the issue that tracks it."))
            if ln.kind is not LineKind.removed and stripped:
                prev = text
    return hits


_TEST_DEFS: dict[str, re.Pattern[str]] = {
    "c-like": re.compile(r"^\s*x?(it|test|describe)(\.only|\.skip|\.todo|\.concurrent|\.each\([^)]*\))?\s*\(\s*(['\"`])(?P<name>.+?)\3"),
    "go": re.compile(r"^func\s+(?P<name>(Test|Benchmark|Fuzz|Example)\w*)\s*\("),
    "rust": re.compile(r"^\s*(pub\s+)?(async\s+)?fn\s+(?P<name>test_\w+|\w+)\s*\(.*$"),
    "ruby": re.compile(r"^\s*(it|specify|test|describe|context)\s*\(?\s*(['\"])(?P<name>.+?)\2"),
}
_ASSERTS: dict[str, re.Pattern[str]] = {
    "c-like": re.compile(r"\b(expect|assert\w*|assertThat|verify)\s*[.(]"),
    "go": re.compile(r"\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\(|\b(assert|require)\.\w+\("),
    "rust": re.compile(r"\b(assert|assert_eq|assert_ne|debug_assert)!\("),
    "ruby": re.compile(r"\b(expect|assert\w*|refute\w*)\b"),
}


RENAME_SIMILARITY = 0.6
"""difflib ratio of two test names above which a removed and an added test count as a rename."""


def check_tests_regex(fc: FileChange) -> list[Hit]:
    """``logic/deleted-test`` for non-Python test files: a test definition (``it("...")``,
    ``func TestX``, ``#[test]``, RSpec ``it "..."``) removed, not re-added under the same name and
    not replaced in the same change block by a newly named test with a similar name (a rename, see
    :data:`RENAME_SIMILARITY`), or fewer assertions added than removed."""
    family = _FAMILY.get(fc.language or "", "")
    hits: list[Hit] = []
    rx = _TEST_DEFS.get(family)
    blocks = file_blocks(fc)
    if rx is not None:
        added_names = {m.group("name") for ln in fc.added_lines() if (m := rx.match(ln.text))}
        removed_names = {m.group("name") for ln in fc.removed_lines() if (m := rx.match(ln.text))}
        for block in blocks:
            gone = []
            for old in block.removed:
                m = rx.match(old.text)
                if not m or m.group("name") in added_names:
                    continue
                if family == "rust" and not _preceded_by_test_attr(block, old):
                    continue
                gone.append((old, m.group("name")))
            # A test added in the same block under a similar new name is a rename ("presist" -> "persist");
            # one under an unrelated name ("anonymous" -> "named") replaced it and checks something else.
            fresh = [m.group("name") for ln in block.added if (m := rx.match(ln.text)) and m.group("name") not in removed_names]
            kept = []
            for old, name in gone:
                twin = next((n for n in fresh if SequenceMatcher(None, name, n, autojunk=False).ratio() >= RENAME_SIMILARITY), None)
                if twin is not None:
                    fresh.remove(twin)
                    continue
                kept.append((old, name))
            for old, name in kept:
                hits.append(Hit("logic/deleted-test", "major", block.head_line, old.text.strip(),
                                f"Test `{_short(name, 60)}` was deleted.",
                                "Keep the test, or explain in the description why the behaviour it checked is gone.",
                                old_line=old.old_lineno))
    arx = _ASSERTS.get(family)
    if arx is not None and not hits:
        removed = [ln for ln in fc.removed_lines() if arx.search(ln.text)]
        added = [ln for ln in fc.added_lines() if arx.search(ln.text)]
        if len(removed) > len(added):
            first = removed[0]
            line = next((b.head_line for b in blocks if first in b.removed), 1)
            hits.append(_fewer_asserts(line, first.text, len(removed), len(added)))
    return hits


def _fewer_asserts(line: int, text: str, removed: int, added: int) -> Hit:
    return Hit("logic/deleted-test", "major", line, text.strip(),
               f"Assertions were removed from tests ({removed} removed, {added} added), e.g. `{_short(text)}`.",
               "Keep the assertions, or replace them with equivalent ones.")


def _preceded_by_test_attr(block: ChangeBlock, line: DiffLine) -> bool:
    idx = block.removed.index(line)
    return any("#[test]" in ln.text or "#[tokio::test" in ln.text for ln in block.removed[max(0, idx - 3) : idx])
