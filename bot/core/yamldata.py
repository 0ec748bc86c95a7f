"""Quorum's own YAML data files (the rule registry and the anti-pattern catalog under ``rules/``),
parsed once per content and kept for the next process.

Every ``quorum review`` loads the same ~100 small YAML files before it can check a policy
against the registry; parsing them (even with libyaml) costs more than the review of a small
change. :func:`load_data_yaml` parses a text with PyYAML's safe loader, exactly as before; while a
:class:`ParsedYamlCache` is active (the CLI enters one for the duration of a command, like its
regular-expression cache) the result is looked up by the SHA-256 of the text (and the name of the
parser, when a caller brings its own, such as the policy loader's strict one) and kept as
``marshal`` bytes: a hit returns a fresh copy of exactly what ``yaml.load`` returned (dicts in
the same order, the same ``str``/``int``/``float``/``bool``/``None``/``list`` values); a result
``marshal`` cannot hold (a YAML timestamp) is simply not cached. Keyed by content, so an edited
rule file is a miss, never a stale hit. The file name carries the Python version and a fingerprint
of the installed PyYAML (size and modification time of its ``__init__.py``, and whether its libyaml
extension is there), so that a hit imports no PyYAML at all and an upgrade starts a new file.

Fail safe: a missing, unreadable or foreign cache file is ignored and rewritten; an unwritable
directory leaves the cache in memory only. ``marshal`` (plain data only) is used rather than
pickle, so the file can never run code. Only Quorum's packaged data goes through here: a
repository's ``.quorum.yml`` is parsed by the policy loader's own strict loader.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import threading
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bot.core.marshalfile import read_marshal, write_marshal

MAX_ENTRIES = 2000
"""Parsed files kept at most (the packaged data holds about 100)."""

_ACTIVE: list[ParsedYamlCache] = []
"""The cache entered by the running command (innermost last); empty: every text is parsed."""


def __getattr__(name: str) -> Any:
    """``YAMLError``: PyYAML's base exception, imported on first use (PEP 562), so that callers can
    write ``except yamldata.YAMLError`` without importing PyYAML on a cache hit."""
    if name == "YAMLError":
        import yaml  # noqa: PLC0415

        return yaml.YAMLError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def safe_load(text: str) -> Any:
    """``yaml.load(text)`` with PyYAML's safe loader (libyaml's when available), uncached."""
    import yaml  # noqa: PLC0415 - only when a text is actually parsed

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def cache_active() -> bool:
    """True while a :class:`ParsedYamlCache` is entered (the CLI's one-shot commands)."""
    return bool(_ACTIVE)


def load_data_yaml(text: str, *, parse: Callable[[str], Any] | None = None, tag: str = "") -> Any:
    """``parse(text)`` (default :func:`safe_load`); through the active :class:`ParsedYamlCache`
    when there is one. ``tag`` names a caller's own ``parse`` (entries are keyed by it too); the
    result must be plain data. Raises what ``parse`` raises (``yaml.YAMLError`` for the default)."""
    if (parse is None) != (not tag):
        raise ValueError("a parse function and its tag go together")
    cache = _ACTIVE[-1] if _ACTIVE else None
    if cache is None:
        return (parse or safe_load)(text)
    return cache.load(text, parse=parse, tag=tag)


def _pyyaml_fingerprint() -> str:
    """12 hex digits naming the installed PyYAML without importing it: the size and modification
    time of ``yaml/__init__.py`` and whether a libyaml extension (``_yaml*``) sits beside it;
    ``none`` when PyYAML cannot be found."""
    spec = find_spec("yaml")
    if spec is None or not spec.origin:
        return "none"
    try:
        st = os.stat(spec.origin)
        ext = sorted(n for n in os.listdir(os.path.dirname(spec.origin)) if n.startswith("_yaml"))
    except OSError:
        return "none"
    key = f"{spec.origin}\x1f{st.st_size}\x1f{st.st_mtime_ns}\x1f{','.join(ext)}"
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def cache_file(cache_dir: Path) -> Path:
    """Where the cache for this interpreter and PyYAML lives under ``cache_dir``."""
    tag = f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}"
    return cache_dir / f"yaml-{tag}-{_pyyaml_fingerprint()}-m{marshal.version}.marshal"


class ParsedYamlCache:
    """Context manager: while active, :func:`load_data_yaml` goes through it; on exit, new entries
    are written back atomically. ``hits`` / ``misses`` count lookups."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_file(cache_dir)
        self.entries: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0
        self._added = False
        self._lock = threading.Lock()

    def __enter__(self) -> ParsedYamlCache:
        loaded = read_marshal(self.path)
        if isinstance(loaded, dict) and all(isinstance(k, str) and isinstance(v, bytes) for k, v in loaded.items()):
            self.entries = loaded
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self._added:
            self._save()

    def load(self, text: str, *, parse: Callable[[str], Any] | None = None, tag: str = "") -> Any:
        """The parsed ``text`` (a fresh object on every call); see the module docstring and
        :func:`load_data_yaml` for ``parse`` and ``tag``."""
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if tag:
            key = f"{tag}:{key}"
        with self._lock:
            blob = self.entries.get(key)
        if blob is not None:
            try:
                data = marshal.loads(blob)
            except (ValueError, EOFError, TypeError):
                pass
            else:
                self.hits += 1
                return data
        data = (parse or safe_load)(text)
        self.misses += 1
        try:
            blob = marshal.dumps(data)
        except ValueError:  # e.g. a datetime: parsed every time
            return data
        with self._lock:
            if len(self.entries) < MAX_ENTRIES:
                self.entries[key] = blob
                self._added = True
        return data

    def _save(self) -> None:
        write_marshal(self.path, self.entries, ".yaml-")
