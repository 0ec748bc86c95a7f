"""detect-secrets' detectors for :mod:`bot.core.sanitize`, without importing detect-secrets when
the installed copy is the one whose patterns Quorum ships.

Importing any ``detect_secrets.plugins`` module runs the package's ``__init__``, which imports its
scanner, its filters and ``requests`` (for the providers' verification APIs, which Quorum never
calls): 130-180 ms in a fresh process (``python -X importtime``), paid by every review in which
one changed line passes a detector's gate (a quarter of the benchmark's PRs, see
``evals/RESULTS.md``, "Eighth session, secret detectors"). Quorum calls detectors only through
``analyze_string``, and for 18 of its 19 detectors that method is the library's own
``RegexBasedDetector.analyze_string`` or ``KeywordDetector.analyze_string`` over compiled
regular expressions the library defines as data. So:

- :data:`bot.core._ds_specs.SPECS` holds each detector's secret type and patterns, generated from
  detect-secrets by :func:`generate` (``python -m bot.core.secretdetectors > bot/core/_ds_specs.py``),
  with :data:`~bot.core._ds_specs.FINGERPRINT`, a SHA-256 over the library's source files those
  patterns and methods come from (:data:`SOURCE_FILES`).
- :func:`load_detector` hashes the installed copy's same files (found with
  ``importlib.util.find_spec``, which does not import the package). When the hash matches, it
  returns a :class:`RegexDetector` or :class:`KeywordDetector` built from the specs, whose
  ``analyze_string`` is the library's, line for line. Otherwise (another detect-secrets version,
  a detector whose ``analyze_string`` is its own, such as ``JwtTokenDetector``, a package that is
  not plain files) it imports and instantiates the library's class, as before.

Sources: Yelp/detect-secrets 1.5.0, ``detect_secrets/plugins/base.py``
(``RegexBasedDetector.analyze_string``) and ``detect_secrets/plugins/keyword.py``
(``KeywordDetector.__init__`` and ``analyze_string``, ``QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

from bot.core.packagedata import package_dir

__all__ = ["Detector", "KeywordDetector", "RegexDetector", "describe", "generate", "installed_fingerprint", "load_detector"]

SOURCE_FILES = ("plugins/base.py", "plugins/keyword.py")
"""Files of the detect-secrets package that every spec depends on (the two ``analyze_string``
methods, ``build_assignment_regex`` and the keyword tables); each detector's own module is added
by :func:`installed_fingerprint`."""


class Detector(Protocol):
    """What :mod:`bot.core.sanitize` uses of a detector: its ``secret_type`` (e.g. ``"AWS Access
    Key"``) and ``analyze_string(line)``, the raw secret values found in one line."""

    secret_type: str

    def analyze_string(self, string: str) -> Iterator[str]:
        """Raw secret values in ``string``."""
        ...


class RegexDetector:
    """A detector whose ``analyze_string`` is detect-secrets' ``RegexBasedDetector.analyze_string``
    over ``denylist`` (compiled ``re.Pattern`` objects, in the library's order)."""

    __slots__ = ("denylist", "secret_type")

    def __init__(self, secret_type: str, denylist: Sequence[re.Pattern[str]]) -> None:
        self.secret_type = secret_type
        self.denylist = tuple(denylist)

    def analyze_string(self, string: str) -> Iterator[str]:
        """Every ``findall`` match of every pattern, in order; a match with groups yields each
        non-empty group (the library's code, ``plugins/base.py``)."""
        for regex in self.denylist:
            for match in regex.findall(string):
                if isinstance(match, tuple):
                    yield from filter(bool, match)
                else:
                    yield match


class KeywordDetector:
    """A detector whose ``analyze_string`` is detect-secrets' ``KeywordDetector.analyze_string``
    called without a file type: ``keyword_exclude`` (or None) vetoes the line, then each pattern of
    ``QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP`` that matches yields its group, in the table's order."""

    __slots__ = ("denylist", "keyword_exclude", "secret_type")

    def __init__(self, secret_type: str, keyword_exclude: re.Pattern[str] | None,
                 denylist: Sequence[tuple[re.Pattern[str], int]]) -> None:
        self.secret_type = secret_type
        self.keyword_exclude = keyword_exclude
        self.denylist = tuple(denylist)

    def analyze_string(self, string: str) -> Iterator[str]:
        """The library's code (``plugins/keyword.py``) with its one table of attempts."""
        if self.keyword_exclude and self.keyword_exclude.search(string):
            return
        for regex, group in self.denylist:
            match = regex.search(string)
            if match:
                yield match.group(group)


def _pattern(p: re.Pattern[str]) -> tuple[str, int]:
    return (p.pattern, p.flags)


def describe(detector: Any) -> tuple[Any, ...] | None:
    """The spec of a detect-secrets detector instance, as plain data (str, int, tuples, None):
    ``("regex", secret_type, ((pattern, flags), ...))`` or ``("keyword", secret_type, exclude,
    ((pattern, flags, group), ...))`` with ``exclude`` a ``(pattern, flags)`` or None. None when its
    ``analyze_string`` is not one of the two library methods above, or a pattern is not a ``str``
    pattern. Imports detect-secrets."""
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector

    method = type(detector).analyze_string
    try:
        if method is RegexBasedDetector.analyze_string:
            patterns = tuple(detector.denylist)
            if all(isinstance(p.pattern, str) for p in patterns):
                return ("regex", detector.secret_type, tuple(_pattern(p) for p in patterns))
        elif method is keyword.KeywordDetector.analyze_string:
            table = keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
            exclude = detector.keyword_exclude
            if all(isinstance(p.pattern, str) for p in table) and (exclude is None or isinstance(exclude.pattern, str)):
                return ("keyword", detector.secret_type, None if exclude is None else _pattern(exclude),
                        tuple((*_pattern(p), group) for p, group in table.items()))
    except (AttributeError, TypeError):
        return None
    return None


def build(spec: tuple[Any, ...]) -> RegexDetector | KeywordDetector:
    """The detector a :func:`describe` spec stands for (patterns compiled with their flags).
    Raises ValueError for a spec of another shape, ``re.error`` for a bad pattern."""
    if spec[0] == "regex":
        return RegexDetector(spec[1], [re.compile(p, f) for p, f in spec[2]])
    if spec[0] == "keyword":
        exclude = None if spec[2] is None else re.compile(*spec[2])
        return KeywordDetector(spec[1], exclude, [(re.compile(p, f), g) for p, f, g in spec[3]])
    raise ValueError(f"unknown detector spec kind {spec[0]!r}")


@lru_cache(maxsize=1)
def _package_dir() -> Path | None:
    """The installed detect-secrets package directory, found without importing it; None when it is
    not a plain directory package (or not installed)."""
    return package_dir("detect_secrets")


def installed_fingerprint(modules: Sequence[str]) -> str | None:
    """SHA-256 (hex) over the installed detect-secrets' :data:`SOURCE_FILES` and
    ``plugins/<module>.py`` for each of ``modules`` (sorted, each file's name and length-prefixed
    bytes); None when the package or one of the files cannot be read."""
    root = _package_dir()
    if root is None:
        return None
    digest = hashlib.sha256()
    for name in sorted({*SOURCE_FILES, *(f"plugins/{m}.py" for m in modules)}):
        try:
            data = (root / name).read_bytes()
        except OSError:
            return None
        digest.update(b"%s\0%d\0" % (name.encode(), len(data)))
        digest.update(data)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _shipped() -> dict[tuple[str, str], tuple[Any, ...]]:
    """The shipped specs when the installed detect-secrets hashes to their fingerprint, else {}."""
    from bot.core import _ds_specs

    if installed_fingerprint(_ds_specs.MODULES) != _ds_specs.FINGERPRINT:
        return {}
    return dict(_ds_specs.SPECS)


def load_detector(module: str, cls: str) -> Detector:
    """The detector ``detect_secrets.plugins.<module>.<cls>()``: built from the shipped spec when the
    installed library is the one it was generated from, else the library's own instance (importing
    detect-secrets). Raises ImportError/AttributeError as that import would."""
    spec = _shipped().get((module, cls))
    if spec is not None:
        return build(spec)
    return getattr(import_module(f"detect_secrets.plugins.{module}"), cls)()


def generate(detectors: Sequence[tuple[str, str]]) -> str:
    """The source of ``bot/core/_ds_specs.py`` for ``detectors`` (``(module, class)`` pairs) from
    the installed detect-secrets (imported). Detectors :func:`describe` cannot express are left
    out (they import the library when used). Raises RuntimeError when the package directory cannot
    be hashed."""
    modules = tuple(sorted({m for m, _ in detectors}))
    fingerprint = installed_fingerprint(modules)
    if fingerprint is None:
        raise RuntimeError("the installed detect-secrets is not a plain package directory")
    from importlib.metadata import version

    lines = [
        '"""detect-secrets detector specs (generated by ``python -m bot.core.secretdetectors``; do not edit).',
        "",
        f"From detect-secrets {version('detect-secrets')}; see :mod:`bot.core.secretdetectors`.",
        '"""',
        "",
        f"FINGERPRINT = {fingerprint!r}",
        f"MODULES = {modules!r}",
        "SPECS = {",
    ]
    for module, cls in detectors:
        spec = describe(getattr(import_module(f"detect_secrets.plugins.{module}"), cls)())
        if spec is not None:
            lines.append(f"    ({module!r}, {cls!r}): {spec!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from bot.core.sanitize import DETECTOR_CLASSES

    print(generate(DETECTOR_CLASSES), end="")
