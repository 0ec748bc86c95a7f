"""Check ``dangerous_calls``: ``safety/dangerous-call/<cause>`` (major; info in test code, where the
input is the test's own data and the code never ships), one registered rule per cause
(``eval``, ``shell-command``, ``shell-true``, ``deserialize``, ``yaml-load``, ``tls-verify-off``,
``sql-string``, ``raw-html``; the id ``safety/dangerous-call`` itself is retired).

Python is analysed on its tree-sitter parse (calls, keyword arguments, f-strings), so a call that
spans lines (``subprocess.run(cmd,\n shell=True)``) is seen and text in comments or strings is not;
the other languages use the per-line regexes of :mod:`subagents.checks.safety._call_patterns`,
whose matches are dropped when the head file's parse tree puts them in a comment (or, except for
SQL text, in a string literal). A Python file that could not be parsed marks the verdict truncated.
Parsing only: nothing is imported or run.
"""

from __future__ import annotations

import re

from tree_sitter import Node, Tree

from bot.core import treesitter
from bot.core.languages import family
from bot.core.models import Severity
from bot.core.paths import is_test_path
from subagents._syntax import line_bands
from subagents.checks.safety._call_patterns import (
    PY_DESERIALIZE,
    PY_HINT,
    PY_SHELL_FUNCS,
    PY_SQL_SINKS,
    REGEX_PATTERNS_BY_FAMILY,
    RULE_BY_KIND,
    SQL_RE,
    SUGGEST_EVAL,
    SUGGEST_SHELL,
    SUGGEST_SQL,
    SUGGEST_TLS,
    TLS_PATTERNS,
    CallPattern,
    pattern,
)
from subagents.checks.safety._common import AGENT, finding, safe_excerpt
from subagents.checks.safety._fileview import FileView
from subagents.checks.safety._scope import scan_scope
from subagents.framework import Check, CheckResult
from subagents.view import CheckView


def _text(node: Node) -> str:
    return treesitter.node_text(node)


def _py_string_is_dynamic(node: Node) -> bool:
    """An f-string with at least one interpolation."""
    return node.type == "string" and any(c.type == "interpolation" for c in node.children)


def _py_string_content(node: Node) -> str:
    return "".join(_text(c) for c in node.children if c.type == "string_content")


def _py_sql_built(arg: Node) -> bool:
    """The expression builds SQL from strings: f-string, ``"..." % x``, ``"..." + x``, ``"...".format()``."""
    if arg.type == "string":
        return _py_string_is_dynamic(arg)
    if arg.type == "binary_operator":
        op = arg.child_by_field_name("operator")
        left = arg.child_by_field_name("left")
        return (op is not None and _text(op) in ("%", "+")
                and left is not None and left.type in ("string", "binary_operator"))
    if arg.type == "call":
        fn = arg.child_by_field_name("function")
        return fn is not None and fn.type == "attribute" and _text(fn).endswith(".format") and (
            (obj := fn.child_by_field_name("object")) is not None and obj.type == "string")
    return False


def _py_sql_literal(node: Node) -> bool:
    """A string node whose text is SQL and which is itself built dynamically."""
    if node.type != "string":
        return False
    content = _py_string_content(node)
    if not SQL_RE.match(content):
        return False
    if _py_string_is_dynamic(node):
        return True
    parent = node.parent
    if parent is not None and parent.type == "binary_operator" and parent.child_by_field_name("left") == node:
        op = parent.child_by_field_name("operator")
        return op is not None and _text(op) in ("%", "+")
    if parent is not None and parent.type == "attribute" and _text(parent).endswith(".format"):
        return True
    return False


_PY_CALL_QUERY = "(call function: (_) @fn arguments: (argument_list) @args) @call"


def _python_calls(view: FileView, added_rows: set[int]) -> list[tuple[int, CallPattern]]:
    """Dangerous Python calls (and dynamic SQL strings) touching an added row: ``[(row, pattern)]``,
    in the order of a walk of the whole tree.

    The calls and strings that touch the added rows are first looked for in the band of lines the
    rows span (the same nodes as over the whole tree, in another order; rows farther apart than
    :data:`subagents._syntax.NEAR_GAP` lines are looked at band by band, so a change at the top and
    the bottom of a file does not walk the lines between); only when one of them is dangerous is
    the whole tree walked, for the order."""
    tree = view.tree()
    if tree is None or not added_rows:
        return []
    if not any(_python_calls_in(tree, added_rows, band) for band in line_bands({r + 1 for r in added_rows})):
        return []
    return _python_calls_in(tree, added_rows, None)


def _python_calls_in(tree: Tree, added_rows: set[int], band: tuple[int, int] | None) -> list[tuple[int, CallPattern]]:
    """:func:`_python_calls` over the matches overlapping ``band`` (1-based lines; None: all)."""
    out: list[tuple[int, CallPattern]] = []

    def touched(node: Node) -> int | None:
        for r in range(node.start_point[0], node.end_point[0] + 1):
            if r in added_rows:
                return r
        return None

    q = treesitter.query("python", _PY_CALL_QUERY)
    for _, caps in treesitter.matches(q, tree.root_node, lines=band):
        call, fn, args = caps["call"][0], caps["fn"][0], caps["args"][0]
        row = touched(call)
        if row is None:
            continue
        name = re.sub(r"\s+", "", _text(fn))
        positional = [a for a in args.named_children if a.type not in ("keyword_argument", "comment")]
        kwargs = {
            _text(k): v
            for a in args.named_children
            if a.type == "keyword_argument"
            and (k := a.child_by_field_name("name")) is not None
            and (v := a.child_by_field_name("value")) is not None
        }
        last = name.rsplit(".", 1)[-1]
        if name in ("eval", "exec", "builtins.eval", "builtins.exec"):
            if not (positional and positional[0].type == "string" and not _py_string_is_dynamic(positional[0])):
                out.append((row, pattern("eval", "", f"{name}() of dynamic code", SUGGEST_EVAL)))
        if name in PY_SHELL_FUNCS:
            out.append((row, pattern("shell", "", f"{name}() runs a shell command", SUGGEST_SHELL)))
        if "shell" in kwargs and _text(kwargs["shell"]) == "True":
            out.append((row, pattern("shell-true", "", f"{name}(..., shell=True) runs through a shell", SUGGEST_SHELL)))
        if PY_DESERIALIZE.match(name):
            out.append((row, pattern("deserialize", "", f"{name}() can execute code from untrusted data",
                                "Use a data format (JSON) for untrusted input.")))
        if name in ("yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all"):
            loader = kwargs.get("Loader") or (positional[1] if len(positional) > 1 else None)
            safe = loader is not None and re.search(r"(?:^|\.)(?:C?SafeLoader|BaseLoader)$", _text(loader)) is not None
            if not safe or "unsafe" in name:
                out.append((row, pattern("yaml", "", f"{name}() without SafeLoader can construct arbitrary objects",
                                    "Use yaml.safe_load().")))
        if "verify" in kwargs and _text(kwargs["verify"]) == "False":
            out.append((row, pattern("tls", "", f"{name}(..., verify=False) disables certificate verification",
                                SUGGEST_TLS)))
        if last in PY_SQL_SINKS and positional and _py_sql_built(positional[0]):
            out.append((row, pattern("sql", "", f"SQL passed to {last}() is built from strings", SUGGEST_SQL)))
    strings = treesitter.captures(treesitter.query("python", "(string) @s"), tree.root_node, lines=band).get("s", [])
    for node in strings:
        row = node.start_point[0]
        if row in added_rows and _py_sql_literal(node):
            out.append((row, pattern("sql", "", "SQL text built with string formatting", SUGGEST_SQL)))
    return out


def _regex_calls(view: FileView, patterns: tuple[CallPattern, ...]) -> list[tuple[int, CallPattern]]:
    # Patterns whose required literal is nowhere in the file's added text cannot match any of its
    # lines (CallPattern.may_match): they are left out before the line loop.
    text = "\n".join(ln.text for ln in view.added)
    lowered = text.lower() if text.isascii() else None
    patterns = tuple(p for p in patterns if p.may_match(text, lowered))
    out: list[tuple[int, CallPattern]] = []
    if not patterns:
        return out
    for line in view.added:
        if line.new_lineno is None:
            continue
        for pat in patterns:
            for m in pat.regex.finditer(line.text):
                region = view.region(line, m.start())
                if region == "comment" or (region == "string" and not pat.in_string):
                    continue
                out.append((line.new_lineno - 1, pat))
                break
    return out


def dangerous_calls(view: FileView) -> list[tuple[int, CallPattern]]:
    """Dangerous calls on the added lines of ``view``: ``[(row, pattern)]``, rows 0-based in the
    head file, sorted by row; several patterns may share a row. When a Python file that needed its
    parse tree could not be parsed, ``view.unparsed`` says why (the caller marks its verdict
    truncated: Python calls are found on the tree only)."""
    fam = family(view.change.language)
    found: list[tuple[int, CallPattern]] = []
    if fam == "python" and any(PY_HINT.search(ln.text) for ln in view.added):
        rows = {ln.new_lineno - 1 for ln in view.added if ln.new_lineno is not None}
        found += _python_calls(view, rows)
    found += _regex_calls(view, REGEX_PATTERNS_BY_FAMILY.get(fam or "", TLS_PATTERNS))
    return sorted(found, key=lambda x: x[0])


def run(view: CheckView) -> CheckResult:
    """Dangerous calls on the added lines of every file in the scan scope, one finding per
    (line, rule)."""
    out = CheckResult()
    for fv in scan_scope(view).files:
        f = fv.change
        by_row = {ln.new_lineno - 1: ln for ln in fv.added if ln.new_lineno is not None}
        seen: set[tuple[int, str]] = set()
        calls = dangerous_calls(fv)
        if fv.unparsed and family(f.language) == "python":
            out.truncated = True
            out.notes.append(f"dangerous calls in {f.path} not checked: {fv.unparsed}")
        for row, pat in calls:
            if (row, pat.rule_id) in seen:
                continue
            seen.add((row, pat.rule_id))
            snippet = safe_excerpt(by_row[row].text if row in by_row else "", 120)
            in_test = is_test_path(f.path)
            out.findings.append(finding(
                pat.rule_id, Severity.info if in_test else Severity.major,
                f"{pat.message}: `{snippet}`" + (" (in test code: listed, not posted)" if in_test else ""),
                path=f.path, line=row + 1, evidence=[f"{f.path}:{row + 1} {pat.kind}: {snippet}"],
                suggestion=pat.suggestion, anchor=f"{pat.kind}:{pat.message}:{snippet}",
            ))
    return out


CHECK = Check(name="dangerous_calls", agent=AGENT, rules=tuple(sorted(RULE_BY_KIND.values())), run=run, order=40)

__all__ = ["CHECK", "dangerous_calls", "run"]
