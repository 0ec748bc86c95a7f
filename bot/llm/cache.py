"""Answer cache: a validated model answer per (agent, prompt, models, unit content).

The key (:func:`cache_key`) hashes the agent, the prompt version, the model chain, the full
system prompt and the unit's text. The unit text is a deterministic rendering of the file's
hunks (hence of its blob SHAs), the agent's deterministic findings on it and its traced context,
so a re-review after a push re-sends exactly the units whose content changed. Only valid answers
are stored, never failures. Values are JSON (never pickle: a cache directory must not be able to
run code) and are re-validated when read; anything unreadable is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

CACHE_FORMAT = 1
"""Bumped when the stored value shape or the key recipe changes."""


def cache_key(
    *,
    agent: str,
    prompt_version: str,
    models: Sequence[str],
    system_text: str,
    unit_text: str,
    tools: bool,
    max_steps: int,
) -> str:
    """SHA-256 hex of the canonical JSON of everything that shapes an answer."""
    payload = [
        CACHE_FORMAT,
        agent,
        prompt_version,
        list(models),
        hashlib.sha256(system_text.encode("utf-8", "replace")).hexdigest(),
        hashlib.sha256(unit_text.encode("utf-8", "replace")).hexdigest(),
        tools,
        max_steps,
    ]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


class AnswerCache(Protocol):
    """Where answers are kept between reviews. Values are JSON-able dicts."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None."""
        ...

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` under ``key`` (overwrites)."""
        ...


class MemoryCache:
    """An in-process cache (tests, evals, one long-running worker). Thread-safe."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            raw = self._data.get(key)
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: dict[str, Any]) -> None:
        raw = json.dumps(value, sort_keys=True)
        with self._lock:
            self._data[key] = raw

    def __len__(self) -> int:
        return len(self._data)


class DiskCache:
    """One JSON file per key under ``root/<key[:2]>/<key>.json``, written atomically.

    I/O errors on read are misses; on write they are ignored after the temporary file is
    removed (a cache must never fail a review). Safe across threads and processes (rename).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("cache keys are SHA-256 hex digests")
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, sort_keys=True)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
