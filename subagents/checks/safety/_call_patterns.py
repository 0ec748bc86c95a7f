"""The dangerous-call patterns of the safety agent's ``dangerous_calls`` check: one
:class:`CallPattern` per kind of call, each reporting one registered rule
(``safety/dangerous-call/<cause>``, see :data:`RULE_BY_KIND`), and the per-language regex tables.
Python is matched on its parse tree by the check itself; these regexes serve the other languages
(and TLS switches in Python).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.regex_literal import required_literal

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
    literal: str = ""
    """Text every match holds (:func:`bot.core.regex_literal.required_literal`; lower case when the
    regex ignores case), '' when none is known."""

    @property
    def rule_id(self) -> str:
        """The registered rule id this pattern reports."""
        return RULE_BY_KIND[self.kind]

    def may_match(self, text: str, lowered: str | None) -> bool:
        """False only when no match can lie in ``text``: it lacks :attr:`literal` (compared ignoring
        case in ``lowered``, ``text.lower()`` of an ASCII text, when the regex ignores case; a
        non-ASCII text, ``lowered`` None, is never ruled out then)."""
        if not self.literal:
            return True
        if self.regex.flags & re.IGNORECASE:
            return lowered is None or self.literal in lowered
        return self.literal in text


def pattern(kind: str, rx: str, message: str, suggestion: str, *, flags: int = 0, in_string: bool = False) -> CallPattern:
    """A :class:`CallPattern` of ``kind`` with ``rx`` compiled; raises ``ValueError`` for an unknown kind."""
    if kind not in RULE_BY_KIND:
        raise ValueError(f"unknown dangerous-call kind {kind!r}")
    literal = required_literal(rx, keep_case=not flags & re.IGNORECASE) if rx else ""
    return CallPattern(kind, re.compile(rx, flags), message, suggestion, in_string, literal)


_SQL_TEXT = (
    r"(?:select\b[^\"'`\n]{0,300}?\bfrom\b|insert\s+into\b|update\s+[\w.\"`\[\]]{1,80}\s+set\b|delete\s+from\b"
    r"|replace\s+into\b)"
)
SUGGEST_SQL = "Use parameterized queries (placeholders and a parameter tuple), never string building."
SUGGEST_TLS = "Keep certificate verification on; trust a specific CA bundle instead."
SUGGEST_SHELL = "Pass an argument list without a shell; never interpolate input into a command string."
SUGGEST_EVAL = "Avoid evaluating dynamic code; parse the data (e.g. json.loads, ast.literal_eval)."

TLS_PATTERNS = (
    pattern("tls", r"\brejectUnauthorized\s*[:=]\s*false\b",
       "TLS certificate verification disabled (rejectUnauthorized: false)", SUGGEST_TLS),
    pattern("tls", r"\binsecure[_-]?skip[_-]?verify\b[\"']?\s*[:=]\s*true\b",
       "TLS certificate verification disabled (InsecureSkipVerify)", SUGGEST_TLS, flags=re.IGNORECASE),
    pattern("tls", r"\bNODE_TLS_REJECT_UNAUTHORIZED\b[\"']?\s*[:=]\s*[\"']?0",
       "TLS verification disabled for all of Node.js", SUGGEST_TLS),
)

_SQL_CONCAT = pattern("sql", rf"[\"'](?i:{_SQL_TEXT})[^\"'\n]{{0,300}}[\"']\s*\+", "SQL built by string concatenation",
                 SUGGEST_SQL, in_string=True)

_JS_PATTERNS = (
    pattern("eval", r"(?<![\w$.])eval\s*\(", "eval() of dynamic code", SUGGEST_EVAL),
    pattern("eval", r"\bnew\s+Function\s*\(", "new Function() compiles code from a string", SUGGEST_EVAL),
    pattern("shell", r"(?:\bchild_process\.|(?<![\w$.]))exec(?:Sync)?\s*\("
       r"\s*(?:`[^`\n]{0,500}\$\{|[\"'][^\"'\n]{0,500}[\"']\s*\+)",
       "shell command built from a template or concatenation (child_process.exec)", SUGGEST_SHELL),
    pattern("shell-true", r"\bshell\s*:\s*true\b", "child process spawned through a shell (shell: true)", SUGGEST_SHELL),
    pattern("xss", r"\bdangerouslySetInnerHTML\b", "dangerouslySetInnerHTML renders raw HTML (XSS)",
       "Render text, or sanitize the HTML with a vetted sanitizer first."),
    pattern("sql", rf"(?<![\w$.)\]])`\s*(?i:{_SQL_TEXT})[^`]{{0,1000}}?\$\{{", "SQL built with a template string",
       SUGGEST_SQL, in_string=True),
    _SQL_CONCAT,
    *TLS_PATTERNS,
)

_GO_PATTERNS = (
    pattern("shell", r"\bexec\.Command(?:Context)?\s*\(\s*(?:\w+\s*,\s*)?"
       r"\"(?:/usr)?(?:/bin/)?(?:ba|z|da|k)?sh\"\s*,\s*\"-c\"",
       "command run through a shell (exec.Command(\"sh\", \"-c\", ...))", SUGGEST_SHELL),
    pattern("sql", r"\.(?:Query|QueryRow|Exec|QueryContext|QueryRowContext|ExecContext)\s*\("
       r"\s*(?:\w+\s*,\s*)?fmt\.Sprintf\(",
       "SQL built with fmt.Sprintf", SUGGEST_SQL),
    _SQL_CONCAT,
    *TLS_PATTERNS,
)

_JAVA_PATTERNS = (
    pattern("sql", r"\.(?:executeQuery|executeUpdate|execute|prepareStatement|addBatch)\s*\(\s*\"[^\"\n]*\"\s*\+",
       "SQL built by string concatenation", SUGGEST_SQL),
    pattern("tls", r"\b(?:NoopHostnameVerifier|ALLOW_ALL_HOSTNAME_VERIFIER|TrustAllStrategy)\b",
       "TLS host name or certificate verification disabled", SUGGEST_TLS),
    _SQL_CONCAT,
)

_RUBY_PATTERNS = (
    pattern("eval", r"(?<![\w.:])eval\s*[\(\s]", "eval of dynamic code", SUGGEST_EVAL),
    pattern("deserialize", r"\bMarshal\.load\b", "Marshal.load deserializes arbitrary objects",
       "Use a data format (JSON) for untrusted input."),
    pattern("shell", r"\b(?:system|exec|spawn)\s*\(?\s*\"[^\"\n]*#\{", "shell command with string interpolation",
       SUGGEST_SHELL),
    pattern("shell", r"`[^`\n]*#\{|%x\(", "backtick shell command with interpolation", SUGGEST_SHELL),
    pattern("tls", r"\bVERIFY_NONE\b", "TLS certificate verification disabled (VERIFY_NONE)", SUGGEST_TLS),
    _SQL_CONCAT,
)

_RUST_PATTERNS = (
    pattern("shell", r"Command::new\(\s*\"(?:/bin/)?(?:ba)?sh\"\s*\)[\s\S]{0,40}?\.arg\(\s*\"-c\"",
       "command run through a shell (sh -c)", SUGGEST_SHELL),
    pattern("tls", r"\bdanger_accept_invalid_(?:certs|hostnames)\s*\(\s*true\s*\)", "TLS verification disabled",
       SUGGEST_TLS),
)

_PY_REGEX_PATTERNS = (
    pattern("tls", r"\bssl\._create_unverified_context\b", "TLS verification disabled (ssl._create_unverified_context)",
       SUGGEST_TLS),
    pattern("tls", r"\bCERT_NONE\b", "TLS certificate verification disabled (CERT_NONE)", SUGGEST_TLS),
)

REGEX_PATTERNS_BY_FAMILY: dict[str, tuple[CallPattern, ...]] = {
    "javascript": _JS_PATTERNS,
    "typescript": _JS_PATTERNS,
    "go": _GO_PATTERNS,
    "java": _JAVA_PATTERNS,
    "ruby": _RUBY_PATTERNS,
    "rust": _RUST_PATTERNS,
    "python": _PY_REGEX_PATTERNS,
}

PY_HINT = re.compile(
    r"eval|exec|system|popen|shell|pickle|marshal|dill|yaml|verify|execute|raw|text\(|select|insert|update|delete"
    r"|getoutput|format|%|\+",
    re.IGNORECASE,
)
PY_SHELL_FUNCS = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput",
    "asyncio.create_subprocess_shell", "popen2.popen2",
})
PY_DESERIALIZE = re.compile(r"^(?:c?pickle|_pickle|dill|cloudpickle)\.(?:loads?|Unpickler)$|^marshal\.loads?$")
PY_SQL_SINKS = frozenset({"execute", "executemany", "executescript", "raw", "text", "read_sql", "read_sql_query"})
SQL_RE = re.compile(rf"\s*(?i:{_SQL_TEXT})")


__all__ = [
    "PY_DESERIALIZE", "PY_HINT", "PY_SHELL_FUNCS", "PY_SQL_SINKS", "REGEX_PATTERNS_BY_FAMILY", "RULE_BY_KIND",
    "SQL_RE", "SUGGEST_EVAL", "SUGGEST_SHELL", "SUGGEST_SQL", "SUGGEST_TLS", "TLS_PATTERNS", "CallPattern", "pattern",
]
