"""Check ``dropped``: behaviour a change takes out without the shapes the hunk-level rules look
for (a flipped condition, a removed guard, branch or return). These are what reversed bug fixes
re-introduce once those are covered (issue 12, evals/RESULTS.md "Re-injected bugs", third
session). Every rule is minor and reads only the diff, the head text and, for Python literals,
the base version parsed with :mod:`ast`:

- ``logic/removed-statement`` (every language): a change block that only deletes, inside an
  indented block, one to three single-line statements and nothing else: an assignment whose
  target the head still uses (``state.has_field_error = true;``), or that set an attribute or
  item of an object the head still uses other than ``self`` (``sys.stderr = ...``,
  ``record.levelname = ...``), or a bare call
  (``self._set_timeout(request)``). Logging and printing calls do not count, nor a statement that
  reappears elsewhere in the change (moved).
- ``logic/removed-item`` (every language): a line kept except for items deleted from a
  bracketed, comma-separated list (``[HA1, nonce, HA2]`` -> ``[nonce, HA2]``,
  ``{ class, lookup, missing }`` -> ``{ class, missing }``); and, in Python, whole elements of a
  list, tuple, set or dict literal removed while the literal stays. Imports, signatures and
  ``__all__`` do not count.
- ``logic/removed-conditional`` (brace languages; Python's is ``logic/removed-branch``): a change
  block that only deletes a whole ``if (...) { ... }`` whose body is more than a bare exit (a
  removed guard is ``logic/removed-guard``'s), and whose condition appears nowhere in the added lines.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections import deque
from collections.abc import Callable, Iterator
from difflib import SequenceMatcher

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents._hunks import ChangeBlock, file_blocks, pair_lines
from subagents.checks.logic._lines import (
    CLOSE,
    OPEN,
    TOKEN,
    added_anywhere,
    balanced,
    code,
    finding,
    live_runtime_files,
    norm,
)
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import _parse, touched_trees
from subagents.view import CheckView

REMOVED_STATEMENT = "logic/removed-statement"
REMOVED_ITEM = "logic/removed-item"
REMOVED_CONDITIONAL = "logic/removed-conditional"

MAX_STATEMENTS = 3
"""A pure deletion of more statements than this is a larger edit (a removed feature), not a slip."""
_BRACE_LANGUAGES = frozenset({"rust", "go", "javascript", "typescript", "tsx", "java", "c", "cpp", "c_sharp", "kotlin",
                              "swift", "scala", "php"})
_KEYWORD_START = re.compile(
    r"^(?:return|if|elif|else|for|while|assert|raise|yield|del|import|from|def|class|with|case|match|throw|fn|pub|"
    r"use|type|go|defer|async|pass|break|continue|global|nonlocal|export|package|struct|enum|"
    r"impl|trait|mod|extern|static|interface|public|private|protected|function|func|try|except|finally|catch|"
    r"switch|default|do|lambda|print)\b")
_ASSIGN = re.compile(
    r"^(?:(?:let|var|const)\s+(?:mut\s+)?)?(?P<target>[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_$][\w$]*|\[[^\]]*\])*)"
    r"\s*(?::\s*[^=]+?)?\s*(?:[-+*/|&^%@]|//|<<|>>|\*\*|\?\?|\|\||&&)?(?<![=!<>])(?::=|=)(?!=)\s*\S")
_CALL = re.compile(r"^(?:await\s+|try\s+|yield\s+from\s+)?(?P<callee>[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)*!?)\s*\(")
_LOGGING_CALLS = frozenset({"print", "pprint", "print!", "println!", "eprint!", "eprintln!", "dbg!", "debug!", "info!",
                            "warn!", "trace!", "error!", "printf", "Print", "Printf", "Println", "debug", "info",
                            "warning", "exception", "critical", "trace", "log"})
_LOGGING_OWNERS = frozenset({"log", "logger", "logging", "_log", "_logger", "LOG", "LOGGER", "console", "tracing", "slog",
                             "fmt", "log_"})
_NOT_ITEM_LINE = re.compile(r"^(?:import|from|use|#include|require|def|async\s+def|class|fn|pub(?:\(\w+\))?\s+fn|func|"
                            r"function|export\s+(?:default\s+)?function|@)\b|__all__|^(?:@|#)")
_EXIT = re.compile(r"^(?:return\b|break\b|continue\b|throw\b|panic!|raise\b|os\.Exit|process\.exit|unreachable!|"
                   r"return;|\}|\{|\)|;)")

def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed runtime code files, in file order."""
    moved = added_anywhere(view)
    out: list[Finding] = []
    for fc in live_runtime_files(view):
        language = fc.language or ""
        blocks = file_blocks(fc)
        head_text = view.head_text(fc.path)
        out += removed_statements(fc, blocks, head_text, moved)
        out += removed_items(fc, blocks, moved)
        if language == "python":
            if fc.removed_lines():
                base_text = view.base_text(fc.old_path or fc.path)
                out += removed_literal_elements(fc, base_text, head_text, moved, lambda: touched_trees(view, fc)[0])
        elif language in _BRACE_LANGUAGES:
            out += removed_conditionals(fc, blocks, moved)
    return out


# --- logic/removed-statement -------------------------------------------------------------------


def _simple_statement(code: str) -> tuple[str, str] | None:
    """``("assign", target)`` or ``("call", callee)`` for a one-line simple statement, else None."""
    s = code.rstrip(";").rstrip()
    if _KEYWORD_START.match(s) or s.endswith((":", "{", "(", "[", ",", "\\")) or not balanced(s):
        return None
    m = _ASSIGN.match(s)
    if m:
        return "assign", m.group("target")
    m = _CALL.match(s)
    if m and s.endswith((")", ")?", ").await", ")?;")) and balanced(s[m.end() - 1:]):
        callee = m.group("callee")
        parts = re.split(r"\.|::|->", callee)
        if parts[-1] in _LOGGING_CALLS or any(p in _LOGGING_OWNERS for p in parts[:-1]):
            return None
        return "call", callee
    return None


def _still_used(target: str, head_words: set[str]) -> bool:
    """True when the head still uses what the assignment to ``target`` set: the target's last name,
    or, for an attribute or item of another object than ``self``/``cls``/``this`` (``sys.stderr``,
    ``record.levelname``, ``os.environ["X"]``), that object, which others read the attribute from."""
    if _last_name(target) in head_words:
        return True
    root = re.match(r"[A-Za-z_$][\w$]*", target)
    return bool(root) and root.group(0) != target and root.group(0) not in ("self", "cls", "this") \
        and root.group(0) in head_words  # type: ignore[union-attr]


def _last_name(target: str) -> str:
    names = re.findall(r"[A-Za-z_$][\w$]*", re.sub(r"\[[^\]]*\]", "", target))
    return names[-1] if names else target


def removed_statements(fc: FileChange, blocks: list[ChangeBlock], head_text: str | None,
                       added_anywhere: set[str]) -> list[Finding]:
    """``logic/removed-statement``: pure-deletion blocks of 1..:data:`MAX_STATEMENTS` indented
    simple statements (see the module doc); one finding per block, at the head line after it."""
    out = []
    found: list[set[str]] = []

    def head_words() -> set[str]:
        """Every word of the head text, collected on first use (most changes remove no assignment)."""
        if not found:
            found.append(set(re.findall(r"[A-Za-z_$][\w$]*", head_text or "")))
        return found[0]

    for block in blocks:
        if block.added or not block.removed:
            continue
        codes = [(ln, code(ln.text)) for ln in block.removed]
        codes = [(ln, c) for ln, c in codes if c]
        if not codes or len(codes) > MAX_STATEMENTS:
            continue
        kinds = []
        for ln, c in codes:
            if not ln.text[:1].isspace() or norm(c) in added_anywhere:
                kinds = []
                break
            st = _simple_statement(c)
            if st is None or st[0] == "assign" and not _still_used(st[1], head_words()):
                kinds = []
                break
            kinds.append(st)
        if not kinds:
            continue
        first = codes[0][1]
        what = "assignment to" if kinds[0][0] == "assign" else "call to"
        name = kinds[0][1]
        more = f" (and {len(kinds) - 1} more)" if len(kinds) > 1 else ""
        out.append(finding(
            REMOVED_STATEMENT, fc.path, block.head_line, first,
            f"The {what} `{name}` (`{first[:80]}`){more} was removed and nothing replaces it: "
            + ("the code after it now sees the value it had before." if kinds[0][0] == "assign"
               else "whatever that call did (a setting, a flag, a side effect) no longer happens here."),
            "Keep the statement, or say in the description why it is no longer needed.",
        ))
    return out



# --- logic/removed-item ------------------------------------------------------------------------


def removed_items(fc: FileChange, blocks: list[ChangeBlock], added_anywhere: set[str]) -> list[Finding]:
    """``logic/removed-item``: paired lines equal but for whole comma-separated items deleted
    inside brackets (token diff)."""
    out = []
    for block in blocks:
        if not block.removed or not block.added:
            continue
        for r, a in pair_lines(block.removed, block.added, min_ratio=0.6):
            rc, ac = code(r.text), code(a.text)
            if not rc or not ac or _NOT_ITEM_LINE.search(rc) or a.new_lineno is None:
                continue
            items = _deleted_items(rc, ac)
            if items and not any(norm(i) in added_anywhere for i in items):
                shown = ", ".join(f"`{i[:40]}`" for i in items[:3])
                out.append(finding(
                    REMOVED_ITEM, fc.path, a.new_lineno, ac,
                    f"{shown} {'was' if len(items) == 1 else 'were'} removed from the list on this line; the rest "
                    "of the line is unchanged, so what the item did (a value passed, a case handled) is gone.",
                    "Keep the item, or say in the description why it no longer belongs.",
                ))
    return out


def _deleted_items(old: str, new: str) -> list[str]:
    """The items deleted from ``old`` to give ``new`` when the only edits are deletions of whole
    comma-separated items inside brackets (or on a line that continues a list, ending with a
    comma); else []."""
    ot, nt = TOKEN.findall(old), TOKEN.findall(new)
    if len(nt) >= len(ot):
        return []
    continues_list = old.rstrip().endswith(",") and "=" not in ot
    items: list[str] = []
    for tag, i1, i2, _j1, _j2 in SequenceMatcher(None, ot, nt, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "delete":
            return []
        span = ot[i1:i2]
        depth = sum(1 if t in OPEN else -1 if t in CLOSE else 0 for t in ot[:i1])
        if (depth <= 0 and not continues_list) or not balanced("".join(span)) or not (span[0] == "," or span[-1] == ","):
            return []
        parts: list[list[str]] = [[]]
        level = 0
        for t in span:
            level += 1 if t in OPEN else -1 if t in CLOSE else 0
            if t == "," and level == 0:
                parts.append([])
            else:
                parts[-1].append(t)
        found = [_join(p) for p in parts if p]
        if not found or any(len(p) > 1 and p[1] == "=" for p in parts if p):  # keywords: logic/dropped-argument's
            return []
        items += found
    return items


def _join(tokens: list[str]) -> str:
    text = " ".join(tokens)
    return re.sub(r" ?([.(\[]) ?| (?=[)\]])|(?<=[.(]) ", r"\1", text)


def removed_literal_elements(fc: FileChange, base_text: str | None, head_text: str | None,
                             added_anywhere: set[str], base_tree: Callable[[], ast.AST | None] | None = None) -> list[Finding]:
    """``logic/removed-item`` (Python): whole lines holding elements of a list, tuple, set or
    dict literal were removed while the literal itself stays (some of its lines are kept).
    ``base_tree`` gives the base text's shared ``ast`` tree (:func:`subagents.logic_calls.touched_trees`);
    by default it is parsed here."""
    removed = fc.changed_old_lines()
    if not removed:
        return []
    tree = base_tree() if base_tree is not None else _parse(base_text)
    if tree is None or head_text is None:
        return []
    base_lines = (base_text or "").splitlines()
    blocks = file_blocks(fc)
    anchors = {ln.old_lineno: b.head_line for b in blocks for ln in b.removed if ln.old_lineno}
    pure = {ln.old_lineno for b in blocks if not b.added for ln in b.removed if ln.old_lineno}
    out = []
    lines = sorted(removed)
    for node in _walk_touching(tree, lines):
        if isinstance(node, ast.Dict):
            elements = [(k if k is not None else v, v) for k, v in zip(node.keys, node.values, strict=True)]
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            elements = [(e, e) for e in node.elts]
        else:
            continue
        span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if all(n in removed for n in span) or node.lineno == node.end_lineno:
            continue
        lost = []
        for first, last in elements:
            lines = range(first.lineno, (last.end_lineno or last.lineno) + 1)
            if first.lineno == node.lineno or not all(n in pure for n in lines):
                continue
            text = " ".join(base_lines[n - 1].strip() for n in lines if n - 1 < len(base_lines))
            if norm(text) in added_anywhere or _NOT_ITEM_LINE.search(text):
                continue
            lost.append((first.lineno, text))
        if lost and not _is_all(tree, node, lines):
            shown = ", ".join(f"`{t[:40]}`" for _, t in lost[:3])
            out.append(finding(
                REMOVED_ITEM, fc.path, anchors.get(lost[0][0], 1), lost[0][1],
                f"{shown} {'was' if len(lost) == 1 else 'were'} removed from a literal that stays: what those "
                "entries did (a case mapped, a value allowed) is gone.",
                "Keep the entries, or say in the description why they no longer belong.",
            ))
    return out


def _walk_touching(tree: ast.AST, lines: list[int]) -> Iterator[ast.AST]:
    """The nodes of ``ast.walk(tree)``, in its order, except every statement whose lines (its
    decorators included) hold none of the sorted ``lines``, and everything inside it. Every node in
    a statement lies within the statement's lines (CPython's positions; a decorator sits above its
    ``def``), so a literal with one of ``lines`` is never left out."""
    todo: deque[ast.AST] = deque([tree])
    while todo:
        node = todo.popleft()
        if isinstance(node, ast.stmt):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
            k = bisect.bisect_left(lines, first)
            if k == len(lines) or lines[k] > (node.end_lineno or node.lineno):
                continue
        todo.extend(ast.iter_child_nodes(node))
        yield node


def _is_all(tree: ast.AST, literal: ast.AST, lines: list[int]) -> bool:
    """Whether ``literal`` (which holds one of the sorted ``lines``) is the value assigned to ``__all__``."""
    for node in _walk_touching(tree, lines):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is literal:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
    return False


# --- logic/removed-conditional -----------------------------------------------------------------


def removed_conditionals(fc: FileChange, blocks: list[ChangeBlock], added_anywhere: set[str]) -> list[Finding]:
    """``logic/removed-conditional``: see the module doc; one finding per deleted ``if`` block."""
    out = []
    for block in blocks:
        if block.added or not block.removed:
            continue
        for start, end in _if_blocks([code(ln.text) for ln in block.removed]):
            codes = [code(ln.text) for ln in block.removed[start:end]]
            head = codes[0]
            body = [c for c in codes[1:] if c and c not in ("{", "}", "})", "};")]
            if not body or all(_EXIT.match(c) for c in body) or norm(head) in added_anywhere:
                continue
            cond = re.sub(r"\s*\{\s*$", "", head)
            out.append(finding(
                REMOVED_CONDITIONAL, fc.path, block.head_line, cond,
                f"The block `{cond[:80]}` was removed whole: what it did in that case is gone.",
                "Keep the block, or say in the description why that case needs no special handling any more.",
            ))
    return out


def _if_blocks(codes: list[str]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` index ranges of ``codes`` that form a whole ``if ... { ... }`` statement
    (braces balanced, closing on the last line of the range)."""
    i = 0
    while i < len(codes):
        if not re.match(r"^if\b", codes[i]):
            i += 1
            continue
        depth, opened = 0, False
        for j in range(i, len(codes)):
            for tok in TOKEN.findall(codes[j]):
                if tok == "{":
                    depth, opened = depth + 1, True
                elif tok == "}":
                    depth -= 1
            if opened and depth == 0:
                if not any(re.search(r"\belse\b", c) for c in codes[i:j + 1]):
                    yield i, j + 1
                i = j
                break
            if depth < 0:
                break
        i += 1


CHECK = Check(name="dropped", agent=AGENT, rules=(REMOVED_CONDITIONAL, REMOVED_ITEM, REMOVED_STATEMENT), run=run, order=15)

__all__ = ["CHECK", "run"]
