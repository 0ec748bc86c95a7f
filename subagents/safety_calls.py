"""Dangerous-call detection for the safety sub-agent, and telling code from comments and strings.

Python is analysed on its tree-sitter parse (calls, keyword arguments, f-strings), so a call that
spans lines (``subprocess.run(cmd,\n shell=True)``) is seen and text in comments or strings is not;
the other languages use per-line regexes whose matches are dropped when the head file's parse tree
puts them in a comment (or, except for SQL text, in a string literal). Files in languages without
a grammar fall back to a line-comment heuristic. Parsing only: nothing is imported or run.

Public: :class:`FileView`, :class:`CallPattern`, :func:`dangerous_calls`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from tree_sitter import Node, Tree

from bot.core import treesitter
from bot.core.context import ReviewContext
from bot.core.diff import DiffLine, FileChange
from bot.core.languages import family

MAX_PARSE_BYTES = 1_000_000
"""Head files larger than this are not parsed (the line-comment heuristic is used instead)."""

_HASH_COMMENT_FAMILIES = frozenset({"python", "ruby"})
_HASH_COMMENT_EXTS = frozenset({
    ".sh", ".bash", ".zsh", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties",
    ".r", ".pl", ".tf", ".mk", ".dockerfile",
})

# --------------------------------------------------------------------------------------------
# Telling code from comments and strings (tree-sitter)
# --------------------------------------------------------------------------------------------

_STRING_TYPES = frozenset({
    "string", "string_content", "template_string", "string_fragment", "interpreted_string_literal",
    "raw_string_literal", "string_literal", "character_literal", "string_value", "heredoc_body",
    "concatenated_string", "text_block",
})
_CODE_INSIDE_STRING = frozenset({"interpolation", "template_substitution"})


def _region(tree: Tree | None, row: int, byte_col: int) -> str | None:
    """``"comment"``, ``"string"`` or None (code) for a position of the head file."""
    if tree is None:
        return None
    node: Node | None = tree.root_node.descendant_for_point_range((row, byte_col), (row, byte_col))
    while node is not None:
        t = node.type
        if t in _CODE_INSIDE_STRING:
            return None
        if "comment" in t:
            return "comment"
        if t in _STRING_TYPES:
            return "string"
        node = node.parent
    return None


def _line_comment_region(f: FileChange, text: str, col: int) -> str | None:
    """Without a parse tree: ``"comment"`` when a line-comment marker precedes ``col``."""
    stripped = text.lstrip()
    if stripped.startswith(("//", "/*", "* ", "<!--", "--")) or stripped == "*":
        return "comment"
    ext = posixpath.splitext(f.path)[1].lower()
    hash_lang = family(f.language) in _HASH_COMMENT_FAMILIES or ext in _HASH_COMMENT_EXTS or ext == ""
    if hash_lang and "#" in text[:col] and stripped.startswith("#"):
        return "comment"
    if family(f.language) in {"javascript", "typescript", "go", "java", "rust"} and "//" in text[:col]:
        before = text[: text.index("//")]
        if before.count('"') % 2 == 0 and before.count("'") % 2 == 0 and before.count("`") % 2 == 0:
            return "comment"
    return None


@dataclass
class FileView:
    """One changed text file: its added lines (possibly capped) and, lazily, the head parse tree."""

    change: FileChange
    added: list[DiffLine]
    ctx: ReviewContext
    _tree: Tree | None = None
    _parsed: bool = False
    unparsed: str | None = None
    """Why a file in a language with a grammar was not parsed (too large, unreadable), else None."""

    def tree(self) -> Tree | None:
        """The head tree from the review's parse-once view (``ctx.files``), or None (no grammar, or
        larger than :data:`MAX_PARSE_BYTES`)."""
        if not self._parsed:
            self._parsed = True
            lang = self.change.language
            if lang and treesitter.supported(lang):
                data = self.ctx.files.read("head", self.change.path)
                if data is None:
                    self.unparsed = "head revision unreadable"
                elif len(data) > MAX_PARSE_BYTES:
                    self.unparsed = f"{len(data)} bytes (parse cap {MAX_PARSE_BYTES})"
                else:
                    self._tree = self.ctx.files.tree("head", self.change.path, lang)
                    if self._tree is None:
                        self.unparsed = f"{len(data)} bytes (over the shared parse cap of bot.core.changeset)"
        return self._tree

    def region(self, line: DiffLine, col: int) -> str | None:
        """Whether column ``col`` (characters) of an added line is in a comment, a string or code."""
        if line.new_lineno is None:
            return None
        tree = self.tree()
        if tree is None:
            return _line_comment_region(self.change, line.text, col)
        byte_col = len(line.text[:col].encode("utf-8", "surrogatepass"))
        return _region(tree, line.new_lineno - 1, byte_col)


# --------------------------------------------------------------------------------------------
# Dangerous calls
# --------------------------------------------------------------------------------------------


RULE_BY_KIND: dict[str, str] = {
    "eval": "safety/dangerous-call/eval",
    "shell": "safety/dangerous-call/shell-command",
    "shell-true": "safety/dangerous-call/shell-true",
    "deserialize": "safety/dangerous-call/deserialize",
    "yaml": "safety/dangerous-call/yaml-load",
    "tls": "safety/dangerous-call/tls-verify-off",
    "sql": "safety/dangerous-call/sql-string",
    "xss": "safety/dangerous-call/raw-html",
}
"""Pattern kind -> the registered rule id it reports (``rules/registry/safety/``)."""


@dataclass(frozen=True)
class CallPattern:
    """One kind of dangerous call: ``kind`` (a key of :data:`RULE_BY_KIND`), the regex (empty for
    tree-based Python checks), a message and a suggestion. ``in_string``: the match starts inside a
    string literal (SQL text), so strings are not skipped."""

    kind: str
    regex: re.Pattern[str]
    message: str
    suggestion: str
    in_string: bool = False  # the match starts inside a string literal (SQL text)

    @property
    def rule_id(self) -> str:
        """The registered rule id this pattern reports."""
        return RULE_BY_KIND[self.kind]


def _p(kind: str, rx: str, message: str, suggestion: str, *, flags: int = 0, in_string: bool = False) -> CallPattern:
    if kind not in RULE_BY_KIND:
        raise ValueError(f"unknown dangerous-call kind {kind!r}")
    return CallPattern(kind, re.compile(rx, flags), message, suggestion, in_string)


_SQL_TEXT = (
    r"(?:select\b[^\"'`\n]{0,300}?\bfrom\b|insert\s+into\b|update\s+[\w.\"`\[\]]{1,80}\s+set\b|delete\s+from\b"
    r"|replace\s+into\b)"
)
_SUGGEST_SQL = "Use parameterized queries (placeholders and a parameter tuple), never string building."
_SUGGEST_TLS = "Keep certificate verification on; trust a specific CA bundle instead."
_SUGGEST_SHELL = "Pass an argument list without a shell; never interpolate input into a command string."
_SUGGEST_EVAL = "Avoid evaluating dynamic code; parse the data (e.g. json.loads, ast.literal_eval)."

_TLS_PATTERNS = (
    _p("tls", r"\brejectUnauthorized\s*[:=]\s*false\b",
       "TLS certificate verification disabled (rejectUnauthorized: false)", _SUGGEST_TLS),
    _p("tls", r"\binsecure[_-]?skip[_-]?verify\b[\"']?\s*[:=]\s*true\b",
       "TLS certificate verification disabled (InsecureSkipVerify)", _SUGGEST_TLS, flags=re.IGNORECASE),
    _p("tls", r"\bNODE_TLS_REJECT_UNAUTHORIZED\b[\"']?\s*[:=]\s*[\"']?0",
       "TLS verification disabled for all of Node.js", _SUGGEST_TLS),
)

_SQL_CONCAT = _p("sql", rf"[\"'](?i:{_SQL_TEXT})[^\"'\n]{{0,300}}[\"']\s*\+", "SQL built by string concatenation",
                 _SUGGEST_SQL, in_string=True)

_JS_PATTERNS = (
    _p("eval", r"(?<![\w$.])eval\s*\(", "eval() of dynamic code", _SUGGEST_EVAL),
    _p("eval", r"\bnew\s+Function\s*\(", "new Function() compiles code from a string", _SUGGEST_EVAL),
    _p("shell", r"(?:\bchild_process\.|(?<![\w$.]))exec(?:Sync)?\s*\("
       r"\s*(?:`[^`\n]{0,500}\$\{|[\"'][^\"'\n]{0,500}[\"']\s*\+)",
       "shell command built from a template or concatenation (child_process.exec)", _SUGGEST_SHELL),
    _p("shell-true", r"\bshell\s*:\s*true\b", "child process spawned through a shell (shell: true)", _SUGGEST_SHELL),
    _p("xss", r"\bdangerouslySetInnerHTML\b", "dangerouslySetInnerHTML renders raw HTML (XSS)",
       "Render text, or sanitize the HTML with a vetted sanitizer first."),
    _p("sql", rf"(?<![\w$.)\]])`\s*(?i:{_SQL_TEXT})[^`]{{0,1000}}?\$\{{", "SQL built with a template string",
       _SUGGEST_SQL, in_string=True),
    _SQL_CONCAT,
    *_TLS_PATTERNS,
)

_GO_PATTERNS = (
    _p("shell", r"\bexec\.Command(?:Context)?\s*\(\s*(?:\w+\s*,\s*)?"
       r"\"(?:/usr)?(?:/bin/)?(?:ba|z|da|k)?sh\"\s*,\s*\"-c\"",
       "command run through a shell (exec.Command(\"sh\", \"-c\", ...))", _SUGGEST_SHELL),
    _p("sql", r"\.(?:Query|QueryRow|Exec|QueryContext|QueryRowContext|ExecContext)\s*\("
       r"\s*(?:\w+\s*,\s*)?fmt\.Sprintf\(",
       "SQL built with fmt.Sprintf", _SUGGEST_SQL),
    _SQL_CONCAT,
    *_TLS_PATTERNS,
)

_JAVA_PATTERNS = (
    _p("sql", r"\.(?:executeQuery|executeUpdate|execute|prepareStatement|addBatch)\s*\(\s*\"[^\"\n]*\"\s*\+",
       "SQL built by string concatenation", _SUGGEST_SQL),
    _p("tls", r"\b(?:NoopHostnameVerifier|ALLOW_ALL_HOSTNAME_VERIFIER|TrustAllStrategy)\b",
       "TLS host name or certificate verification disabled", _SUGGEST_TLS),
    _SQL_CONCAT,
)

_RUBY_PATTERNS = (
    _p("eval", r"(?<![\w.:])eval\s*[\(\s]", "eval of dynamic code", _SUGGEST_EVAL),
    _p("deserialize", r"\bMarshal\.load\b", "Marshal.load deserializes arbitrary objects",
       "Use a data format (JSON) for untrusted input."),
    _p("shell", r"\b(?:system|exec|spawn)\s*\(?\s*\"[^\"\n]*#\{", "shell command with string interpolation",
       _SUGGEST_SHELL),
    _p("shell", r"`[^`\n]*#\{|%x\(", "backtick shell command with interpolation", _SUGGEST_SHELL),
    _p("tls", r"\bVERIFY_NONE\b", "TLS certificate verification disabled (VERIFY_NONE)", _SUGGEST_TLS),
    _SQL_CONCAT,
)

_RUST_PATTERNS = (
    _p("shell", r"Command::new\(\s*\"(?:/bin/)?(?:ba)?sh\"\s*\)[\s\S]{0,40}?\.arg\(\s*\"-c\"",
       "command run through a shell (sh -c)", _SUGGEST_SHELL),
    _p("tls", r"\bdanger_accept_invalid_(?:certs|hostnames)\s*\(\s*true\s*\)", "TLS verification disabled",
       _SUGGEST_TLS),
)

_PY_REGEX_PATTERNS = (
    _p("tls", r"\bssl\._create_unverified_context\b", "TLS verification disabled (ssl._create_unverified_context)",
       _SUGGEST_TLS),
    _p("tls", r"\bCERT_NONE\b", "TLS certificate verification disabled (CERT_NONE)", _SUGGEST_TLS),
)

_REGEX_PATTERNS_BY_FAMILY: dict[str, tuple[CallPattern, ...]] = {
    "javascript": _JS_PATTERNS,
    "typescript": _JS_PATTERNS,
    "go": _GO_PATTERNS,
    "java": _JAVA_PATTERNS,
    "ruby": _RUBY_PATTERNS,
    "rust": _RUST_PATTERNS,
    "python": _PY_REGEX_PATTERNS,
}

_PY_HINT = re.compile(
    r"eval|exec|system|popen|shell|pickle|marshal|dill|yaml|verify|execute|raw|text\(|select|insert|update|delete"
    r"|getoutput|format|%|\+",
    re.IGNORECASE,
)
_PY_SHELL_FUNCS = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput",
    "asyncio.create_subprocess_shell", "popen2.popen2",
})
_PY_DESERIALIZE = re.compile(r"^(?:c?pickle|_pickle|dill|cloudpickle)\.(?:loads?|Unpickler)$|^marshal\.loads?$")
_PY_SQL_SINKS = frozenset({"execute", "executemany", "executescript", "raw", "text", "read_sql", "read_sql_query"})
_SQL_RE = re.compile(rf"\s*(?i:{_SQL_TEXT})")


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
    if not _SQL_RE.match(content):
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
    """Dangerous Python calls (and dynamic SQL strings) touching an added row: ``[(row, pattern)]``."""
    tree = view.tree()
    if tree is None:
        return []
    out: list[tuple[int, CallPattern]] = []

    def touched(node: Node) -> int | None:
        for r in range(node.start_point[0], node.end_point[0] + 1):
            if r in added_rows:
                return r
        return None

    q = treesitter.query("python", _PY_CALL_QUERY)
    for _, caps in treesitter.matches(q, tree.root_node):
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
                out.append((row, _p("eval", "", f"{name}() of dynamic code", _SUGGEST_EVAL)))
        if name in _PY_SHELL_FUNCS:
            out.append((row, _p("shell", "", f"{name}() runs a shell command", _SUGGEST_SHELL)))
        if "shell" in kwargs and _text(kwargs["shell"]) == "True":
            out.append((row, _p("shell-true", "", f"{name}(..., shell=True) runs through a shell", _SUGGEST_SHELL)))
        if _PY_DESERIALIZE.match(name):
            out.append((row, _p("deserialize", "", f"{name}() can execute code from untrusted data",
                                "Use a data format (JSON) for untrusted input.")))
        if name in ("yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all"):
            loader = kwargs.get("Loader") or (positional[1] if len(positional) > 1 else None)
            safe = loader is not None and re.search(r"(?:^|\.)(?:C?SafeLoader|BaseLoader)$", _text(loader)) is not None
            if not safe or "unsafe" in name:
                out.append((row, _p("yaml", "", f"{name}() without SafeLoader can construct arbitrary objects",
                                    "Use yaml.safe_load().")))
        if "verify" in kwargs and _text(kwargs["verify"]) == "False":
            out.append((row, _p("tls", "", f"{name}(..., verify=False) disables certificate verification",
                                _SUGGEST_TLS)))
        if last in _PY_SQL_SINKS and positional and _py_sql_built(positional[0]):
            out.append((row, _p("sql", "", f"SQL passed to {last}() is built from strings", _SUGGEST_SQL)))
    strings = treesitter.captures(treesitter.query("python", "(string) @s"), tree.root_node).get("s", [])
    for node in strings:
        row = node.start_point[0]
        if row in added_rows and _py_sql_literal(node):
            out.append((row, _p("sql", "", "SQL text built with string formatting", _SUGGEST_SQL)))
    return out


def _regex_calls(view: FileView, patterns: tuple[CallPattern, ...]) -> list[tuple[int, CallPattern]]:
    out: list[tuple[int, CallPattern]] = []
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
    if fam == "python" and any(_PY_HINT.search(ln.text) for ln in view.added):
        rows = {ln.new_lineno - 1 for ln in view.added if ln.new_lineno is not None}
        found += _python_calls(view, rows)
    found += _regex_calls(view, _REGEX_PATTERNS_BY_FAMILY.get(fam or "", _TLS_PATTERNS))
    return sorted(found, key=lambda x: x[0])


__all__ = ["MAX_PARSE_BYTES", "RULE_BY_KIND", "CallPattern", "FileView", "dangerous_calls"]
