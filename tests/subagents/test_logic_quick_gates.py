"""Quick answers in the logic checks equal the slow ones they replace: ``apis._ANY_OUTDATED`` (one
alternation of the outdated-API patterns) and ``contracts._overload`` (a decorator's unparsed text)."""

from __future__ import annotations

import ast
from pathlib import Path

from subagents.checks.logic import apis, contracts

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [
    "spec = inspect.getargspec(f)", "for k, v in d.iteritems():", "if d.has_key('a'):", "@asyncio.coroutine",
    "t = time.clock()", "from collections import Mapping", "import imp", "import telnetlib", "ssl.wrap_socket(s)",
    "logger.warn('x')", "ast.Num(1)", "typing.ByteString", "n = sys.maxint", "for i in xrange(3):",
    "isinstance(s, basestring)", "warnings.DeprecationWarning", "  from distutils import core", "x.isAlive()",
    "obj.xrange(3)", "sys.maxintb", "inspect.getargspec", "import impx", "", "   ", "time.clock  (  )",
    "platform.dist()", "threading.currentThread()", "base64.encodestring(b)", "cgi.escape(s)", "fractions.gcd(1, 2)",
]


def _lines() -> list[str]:
    out = list(SAMPLES)
    for path in sorted((ROOT / "subagents" / "checks" / "logic").glob("*.py")):
        out += path.read_text(encoding="utf-8").splitlines()
    return out


def test_one_alternation_matches_exactly_when_an_entry_does() -> None:
    lines = _lines()
    hits = 0
    for line in lines:
        for text in (line, apis._code_only(line)):
            want = any(api.pattern.search(text) for api in apis.OUTDATED)
            assert bool(apis._ANY_OUTDATED.search(text)) == want, text
            hits += want
    assert hits >= len(SAMPLES) - 8  # the samples reach most entries


EXOTIC = ["overload", "typing.overload", "t.typing.overload", "overload()", "typing.overload(x)", "x[0].overload",
          "a if b else c.overload", "a if b else c.other", "(lambda f: f)", "x[overload]", "1 .overload", "f().overload",
          "not_overload", "overloads", "x.overload.y", "a + b.overload", "await_.overload"]


def test_overload_equals_the_unparsed_text() -> None:
    decorators = [ast.parse(f"@{d}\ndef f(): pass").body[0].decorator_list[0] for d in EXOTIC]  # type: ignore[attr-defined]
    for path in sorted((ROOT / "subagents").rglob("*.py")) + sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                decorators += node.decorator_list
    assert len(decorators) > 100
    for d in decorators:
        assert contracts._overload(d) == (ast.unparse(d).split(".")[-1] == "overload"), ast.unparse(d)
    assert [contracts._overload(d) for d in decorators[:len(EXOTIC)]].count(True) == 9
