"""The ``apis`` check: ``logic/outdated-stdlib-api`` and ``logic/removed-export``."""

from __future__ import annotations

import difflib
import re

from bot.core.diff import parse_diff
from subagents.checks.logic.apis import OUTDATED, outdated_apis, removed_exports


def _fc(base: str, head: str, path: str = "app/m.py"):
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), f"a/{path}", f"b/{path}", n=3)
    return parse_diff(f"diff --git a/{path} b/{path}\n" + "".join(lines)).files[0]


def _outdated(base: str, head: str) -> list[tuple[str, int, str]]:
    return [(f.rule_id, f.line, f"{f.message} {f.suggestion}") for f in outdated_apis(_fc(base, head))]


BASE = '''\
import inspect


def names(func, kwargs, stream):
    spec = inspect.getfullargspec(func)
    done = inspect.iscoroutinefunction(stream.complete)
    return spec.args, list(kwargs.items()), done
'''


def test_outdated_stdlib_api_on_added_lines() -> None:
    (hit,) = _outdated(BASE, BASE.replace("inspect.getfullargspec(func)", "inspect.getargspec(func)"))
    assert hit[:2] == ("logic/outdated-stdlib-api", 5) and "removed in Python 3.11" in hit[2]
    (hit,) = _outdated(BASE, BASE.replace("kwargs.items()", "kwargs.iteritems()"))
    assert hit[1] == 7 and "dict.iteritems()" in hit[2]
    (hit,) = _outdated(BASE, BASE.replace("inspect.iscoroutinefunction", "asyncio.iscoroutinefunction"))
    assert hit[1] == 6 and "deprecated in Python 3.14" in hit[2] and "`inspect.iscoroutinefunction()`" in hit[2]
    (hit,) = _outdated("import os\n", "import os\nimport imp\n")
    assert "removed in Python 3.12" in hit[2]
    (hit,) = _outdated("def f():\n    warnings.warn('x', DeprecationWarning)\n",
                       "def f():\n    warnings.warn('x', warnings.DeprecationWarning)\n")
    assert "built-in" in hit[2]


def test_outdated_stdlib_api_quiet_cases() -> None:
    # already used before the change (a fallback kept), named in a string or a comment, or a look-alike
    base = "def f(func):\n    return inspect.getargspec(func)\n"
    assert _outdated(base, base.replace("return ", "spec = ") + "    return spec\n") == []
    assert _outdated(BASE, BASE.replace("spec.args,", "spec.args, 'inspect.getargspec(x)',")) == []
    assert _outdated(BASE, BASE.replace("    return spec", "    # time.clock() was used here\n    return spec")) == []
    assert _outdated(BASE, BASE.replace("kwargs.items()", "kwargs.iteritems_sorted()")) == []
    assert _outdated(BASE, BASE.replace("inspect.getfullargspec", "my_inspect.getfullargspec")) == []


def test_every_table_entry_matches_its_own_example() -> None:
    examples = {
        "inspect.getargspec()": "inspect.getargspec(f)", "inspect.formatargspec()": "inspect.formatargspec(a)",
        "dict.iteritems() and kin": "d.itervalues()", "dict.has_key()": "d.has_key(k)",
        "asyncio.iscoroutinefunction()": "asyncio.iscoroutinefunction(f)", "@asyncio.coroutine": "@asyncio.coroutine",
        "time.clock()": "time.clock()",
        "base64.encodestring()/decodestring()": "base64.encodestring(b)", "Thread.isAlive()": "t.isAlive()",
        "the collections ABC aliases (collections.Mapping...)": "isinstance(x, collections.Mapping)",
        "imp, distutils, asynchat, asyncore, smtpd": "from distutils.util import strtobool",
        "a PEP 594 \"dead battery\" module": "import telnetlib", "ssl.wrap_socket()/match_hostname()": "ssl.wrap_socket(s)",
        "locale.getdefaultlocale()": "locale.getdefaultlocale()",
        "pkgutil.find_loader()/get_loader(), importlib.find_loader()": "pkgutil.find_loader(n)",
        "platform.linux_distribution()/dist()": "platform.dist()", "cgi.escape()": "cgi.escape(s)",
        "fractions.gcd()": "fractions.gcd(a, b)", "sys.setcheckinterval()": "sys.setcheckinterval(1)",
        "threading.currentThread()/activeCount()": "threading.currentThread()", "Logger.warn()": "logger.warn('x')",
        "ast.Num/Str/Bytes/NameConstant/Ellipsis": "ast.Str(s='x')", "typing.ByteString": "typing.ByteString",
        "a Python 2 built-in (sys.maxint, xrange, raw_input, basestring...)": "for i in xrange(3): pass",
        "a warning class through the warnings module (warnings.DeprecationWarning)": "warnings.UserWarning",
    }
    assert {api.name for api in OUTDATED} == set(examples)
    for api in OUTDATED:
        assert api.pattern.search(examples[api.name]), api.name
        assert re.search(r"Python 3\.\d+|built-in", api.status), api.name


INIT = "from app.retry import retry_if_exception\nfrom app.retry import retry_if_result\n__all__ = ['retry_if_exception', 'retry_if_result']\n"


def test_removed_export() -> None:
    head = INIT.replace("from app.retry import retry_if_result\n", "").replace(", 'retry_if_result'", "")
    (hit,) = removed_exports(_fc(INIT, head, "app/__init__.py"), INIT.encode(), head.encode())
    assert hit.rule_id == "logic/removed-export" and hit.line == 2 and "`retry_if_result`" in hit.message
    multi = "from app.retry import (\n    retry_if_exception,\n    retry_if_result,\n)\n"
    (hit,) = removed_exports(_fc(multi, multi.replace("    retry_if_result,\n", ""), "app/__init__.py"),
                             multi.encode(), multi.replace("    retry_if_result,\n", "").encode())
    assert "`retry_if_result`" in hit.message


def test_removed_export_quiet_cases() -> None:
    # defined in the module itself now, re-ordered, or a private module's imports
    head = INIT.replace("from app.retry import retry_if_result\n", "") + "def retry_if_result(r):\n    return r\n"
    assert removed_exports(_fc(INIT, head, "app/__init__.py"), INIT.encode(), head.encode()) == []
    typed = "from typing import Any\n" + INIT
    assert removed_exports(_fc(typed, INIT, "app/__init__.py"), typed.encode(), INIT.encode()) == []
    lines = INIT.splitlines(True)
    reordered = lines[1] + lines[0] + lines[2]
    assert removed_exports(_fc(INIT, reordered, "app/__init__.py"), INIT.encode(), reordered.encode()) == []
    lazy = head.replace("def retry_if_result(r):\n    return r\n", "def __getattr__(name):\n    return _lazy(name)\n")
    assert removed_exports(_fc(INIT, lazy, "app/__init__.py"), INIT.encode(), lazy.encode()) == []
    base = "from app.retry import helper\n\n\ndef run():\n    return helper()\n"
    head = "def run():\n    return 1\n"
    assert removed_exports(_fc(base, head, "app/_impl.py"), base.encode(), head.encode()) == []
