"""Check ``apis``: a change that makes a module use an API the standard library no longer has (or
is retiring), or stop offering a name its users import. Written for what reversed bug fixes
re-introduce on the development corpora (issue 12, evals/RESULTS.md "Re-injected bugs", sixth
session). Python only; every rule is minor:

- ``logic/outdated-stdlib-api``: an added line calls or imports a standard-library API that
  Python has removed or deprecated (``inspect.getargspec``, ``dict.iteritems()``,
  ``asyncio.iscoroutinefunction``, ``collections.Mapping``, ``import imp``...; ``datetime.utcnow()``
  is the anti-pattern catalog's ``QPY015``), and no removed line of the file used it: the code fails with ``AttributeError``/``ImportError`` on current
  Pythons, or warns and fails on the next one. The table, :data:`OUTDATED`, gives for each entry
  the release that removed or deprecated it, from the "Removed" and "Deprecated" sections of the
  Python "What's New" documents (3.0 to 3.14, docs.python.org/3/whatsnew/).
- ``logic/removed-export``: a public module stops re-exporting a name (it is in ``__all__``,
  imported by a package's ``__init__.py``, imported as ``x as x``, or imported from a private
  module and not used there; :func:`subagents.logic_imports.removed_reexports`; not a name a
  removed line imported from ``typing``, ``collections.abc`` or ``abc``), the head does not define
  it anew, and has no module-level ``__getattr__`` that could serve it lazily (PEP 562):
  ``from pkg import name`` now fails for every user.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents._hunks import head_line_for_old
from subagents.checks.logic._lines import finding, live_runtime_files, shorten
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_imports import removed_reexports
from subagents.view import CheckView

OUTDATED_STDLIB_API = "logic/outdated-stdlib-api"
REMOVED_EXPORT = "logic/removed-export"


class Outdated(NamedTuple):
    """One retired standard-library API: the pattern that finds a use of it on a code line (string
    literals and comments blanked), its name, what happened to it and in which release, and what
    to use instead."""

    pattern: re.Pattern[str]
    name: str
    status: str
    instead: str


def _api(pattern: str, name: str, status: str, instead: str) -> Outdated:
    return Outdated(re.compile(pattern), name, status, instead)


OUTDATED: tuple[Outdated, ...] = (
    _api(r"\binspect\.getargspec\s*\(", "inspect.getargspec()", "removed in Python 3.11",
         "`inspect.signature()` or `inspect.getfullargspec()`"),
    _api(r"\binspect\.formatargspec\s*\(", "inspect.formatargspec()", "removed in Python 3.11", "`inspect.signature()`"),
    _api(r"\.(?:iteritems|itervalues|iterkeys|viewitems|viewvalues|viewkeys)\s*\(\s*\)", "dict.iteritems() and kin",
         "removed in Python 3.0 (PEP 3106)", "`.items()`, `.values()`, `.keys()`"),
    _api(r"\.has_key\s*\(", "dict.has_key()", "removed in Python 3.0", "`key in mapping`"),
    _api(r"\basyncio\.iscoroutinefunction\s*\(", "asyncio.iscoroutinefunction()", "deprecated in Python 3.14",
         "`inspect.iscoroutinefunction()`"),
    _api(r"@\s*asyncio\.coroutine\b|\basyncio\.coroutine\s*\(", "@asyncio.coroutine", "removed in Python 3.11",
         "`async def`"),
    _api(r"\btime\.clock\s*\(", "time.clock()", "removed in Python 3.8", "`time.perf_counter()` or `time.process_time()`"),
    _api(r"\bbase64\.(?:encodestring|decodestring)\s*\(", "base64.encodestring()/decodestring()",
         "removed in Python 3.9", "`base64.encodebytes()`/`decodebytes()`"),
    _api(r"\.isAlive\s*\(\s*\)", "Thread.isAlive()", "removed in Python 3.9", "`.is_alive()`"),
    _api(r"\bcollections\.(?:Mapping|MutableMapping|Sequence|MutableSequence|Set|MutableSet|Iterable|Iterator|"
         r"Callable|Hashable|Sized|Container|Generator|Awaitable|Coroutine|AsyncIterable|AsyncIterator|"
         r"KeysView|ItemsView|ValuesView|MappingView|ByteString)\b|"
         r"^\s*from\s+collections\s+import\s+(?:\(\s*)?(?:Mapping|MutableMapping|Sequence|MutableSequence|Iterable|"
         r"Callable|Hashable)\b",
         "the collections ABC aliases (collections.Mapping...)", "removed in Python 3.10", "`collections.abc`"),
    _api(r"^\s*(?:import|from)\s+(?:imp|distutils|asynchat|asyncore|smtpd)\b", "imp, distutils, asynchat, asyncore, smtpd",
         "removed in Python 3.12 (PEP 594, PEP 632)", "`importlib`, setuptools, `asyncio`"),
    _api(r"^\s*(?:import|from)\s+(?:cgi|cgitb|crypt|pipes|telnetlib|nntplib|audioop|aifc|chunk|imghdr|mailcap|msilib|"
         r"nis|ossaudiodev|sndhdr|spwd|sunau|uu|xdrlib|lib2to3)\b", "a PEP 594 \"dead battery\" module",
         "removed in Python 3.13 (PEP 594)", "the replacements PEP 594 lists"),
    _api(r"\bssl\.(?:wrap_socket|match_hostname)\s*\(", "ssl.wrap_socket()/match_hostname()", "removed in Python 3.12",
         "`SSLContext.wrap_socket()` and the context's hostname checking"),
    _api(r"\blocale\.getdefaultlocale\s*\(", "locale.getdefaultlocale()", "deprecated in Python 3.11",
         "`locale.getlocale()` or `locale.getencoding()`"),
    _api(r"\bpkgutil\.(?:find_loader|get_loader)\s*\(|\bimportlib\.find_loader\s*\(",
         "pkgutil.find_loader()/get_loader(), importlib.find_loader()", "deprecated in Python 3.12 and removed by 3.14",
         "`importlib.util.find_spec()`"),
    _api(r"\bplatform\.(?:linux_distribution|dist)\s*\(", "platform.linux_distribution()/dist()", "removed in Python 3.8",
         "the `distro` package or `platform.freedesktop_os_release()`"),
    _api(r"\bcgi\.escape\s*\(", "cgi.escape()", "removed in Python 3.8", "`html.escape()`"),
    _api(r"\bfractions\.gcd\s*\(", "fractions.gcd()", "removed in Python 3.9", "`math.gcd()`"),
    _api(r"\bsys\.setcheckinterval\s*\(", "sys.setcheckinterval()", "removed in Python 3.9", "`sys.setswitchinterval()`"),
    _api(r"\bthreading\.(?:currentThread|activeCount)\s*\(", "threading.currentThread()/activeCount()",
         "deprecated in Python 3.10", "`threading.current_thread()`/`active_count()`"),
    _api(r"\b(?:logging|logger|log|LOGGER|LOG)\.warn\s*\(", "Logger.warn()", "deprecated since Python 3.3",
         "`.warning()`"),
    _api(r"\bast\.(?:Num|Str|Bytes|NameConstant|Ellipsis)\b", "ast.Num/Str/Bytes/NameConstant/Ellipsis",
         "deprecated in Python 3.8, removed in 3.14", "`ast.Constant`"),
    _api(r"\btyping\.ByteString\b", "typing.ByteString", "deprecated, removed in Python 3.14",
         "`collections.abc.Buffer` or `bytes | bytearray`"),
    _api(r"\bsys\.maxint\b|\bos\.getcwdu\s*\(|\bstring\.(?:letters|lowercase|uppercase|maketrans)\b|"
         r"(?<![\w.])(?:xrange|raw_input|unichr|execfile)\s*\(|(?<![\w.])basestring\b",
         "a Python 2 built-in (sys.maxint, xrange, raw_input, basestring...)", "removed in Python 3.0",
         "the Python 3 equivalent (`sys.maxsize`, `range`, `input`, `str`)"),
    _api(r"\bwarnings\.[A-Z]\w*Warning\b", "a warning class through the warnings module (warnings.DeprecationWarning)",
         "never part of the warnings module (the classes are built-ins)", "the built-in class (`DeprecationWarning`)"),
)
"""Retired standard-library APIs (see the module doc for the source)."""
_ANY_OUTDATED = re.compile("|".join(f"(?:{api.pattern.pattern})" for api in OUTDATED))
"""Every :data:`OUTDATED` pattern as one alternation: it matches a text exactly when one of them
does (none uses a flag, a back-reference or a multi-line anchor), so a line no entry uses is
searched once instead of once per entry."""

_STRING = re.compile(r"[rbufRBUF]{0,2}(?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')")
_TYPING_IMPORT = re.compile(r"^\s*from\s+(?:typing|typing_extensions|collections\.abc|abc|__future__)\s+import\b")
"""An import of typing helpers: a package that stops importing ``Any`` does not stop exporting an API."""
_MODULE_GETATTR = re.compile(rb"^def __getattr__\s*\(", re.MULTILINE)
_EXPORT_HINT = re.compile(r"__all__|^\s*[\"'][A-Za-z_]\w*[\"']\s*,?\s*$|\bimport\b.*\b(\w+)\s+as\s+\1\b|"
                          r"^\s*from\s+\.*(?:\w+\.)*_\w*\s+import\b")
"""A removed line that may drop a re-export outside a package's ``__init__.py`` (see
:func:`subagents.logic_imports.removed_reexports`): an ``__all__`` line or entry, an ``x as x``
import, an import from a private module. In ``__init__.py`` any removed line may (a name of a multi-line import)."""


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        out += outdated_apis(fc)
        package = fc.path.endswith("__init__.py")
        if any(package or _EXPORT_HINT.search(ln.text) for ln in fc.removed_lines()):
            base = view.files.read("base", fc.old_path or fc.path)
            head = view.files.read("head", fc.path)
            out += removed_exports(fc, base, head)
    return out


def _code_only(text: str) -> str:
    """``text`` with string literals emptied and a trailing comment cut."""
    blanked = _STRING.sub('""', text)
    return blanked.split("#", 1)[0]


def outdated_apis(fc: FileChange) -> list[Finding]:
    """``logic/outdated-stdlib-api``: see the module doc; one finding per table entry and file, at
    the first added line that uses it."""
    removed: list[str] | None = None  # the removed lines' code, read when an added line uses an entry
    out = []
    seen: set[str] = set()
    for ln in fc.added_lines():
        if ln.new_lineno is None or not ln.text.strip():
            continue
        text = _code_only(ln.text)
        if not _ANY_OUTDATED.search(text):
            continue  # no entry's pattern matches anywhere in the line
        for api in OUTDATED:
            if api.name in seen or not api.pattern.search(text):
                continue
            seen.add(api.name)
            if removed is None:
                removed = [_code_only(r.text) for r in fc.removed_lines()]
            if any(api.pattern.search(r) for r in removed):
                continue  # already used before the change
            out.append(finding(
                OUTDATED_STDLIB_API, fc.path, ln.new_lineno, ln.text.strip(),
                f"`{shorten(ln.text.strip())}` uses {api.name}, {api.status}: on current Python versions the "
                "call fails (or warns now and fails on a later release).",
                f"Use {api.instead}.",
            ))
    return out


def removed_exports(fc: FileChange, base: bytes | None, head: bytes | None) -> list[Finding]:
    """``logic/removed-export``: see the module doc; one finding per file, at the head line of the
    first removed line that names a lost name."""
    if head is not None and _MODULE_GETATTR.search(head):
        return []  # a module-level __getattr__ may serve the names lazily (PEP 562)
    typing_only = {n for ln in fc.removed_lines() if _TYPING_IMPORT.match(ln.text) for n in re.findall(r"\w+", ln.text)}
    names = [n for n in removed_reexports(fc.path, base, head) if n not in typing_only]
    if not names:
        return []
    for ln in fc.removed_lines():
        if ln.old_lineno is None:
            continue
        hit = [n for n in names if re.search(rf"\b{re.escape(n)}\b", ln.text)]
        if hit:
            line = head_line_for_old(fc, ln.old_lineno)
            shown = ", ".join(f"`{n}`" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            return [finding(
                REMOVED_EXPORT, fc.path, line, f"export: {', '.join(names)}"[:120],
                f"`{fc.path}` no longer offers {shown}, which it exported: `from ... import` of "
                f"{'it' if len(names) == 1 else 'them'} now fails for every user of the module.",
                "Keep the export (re-export the name from where it now lives, or deprecate it first), or say in the "
                "description that the API is removed on purpose.",
            )]
    return []


CHECK = Check(name="apis", agent=AGENT, rules=(OUTDATED_STDLIB_API, REMOVED_EXPORT), run=run,
              languages=("python",), order=18)

__all__ = ["CHECK", "OUTDATED", "run"]
