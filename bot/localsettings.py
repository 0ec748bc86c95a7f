"""The few settings a local ``quorum review`` reads, from the environment, without pydantic.

:class:`bot.config.Settings` (pydantic) is the reference: one field per ``QUORUM_<FIELD>``
variable, validated. A review without a model reads only four of its fields (where the cache and
the decision log live, and whether a model is configured); :func:`local_settings` reads exactly
those, the way ``Settings`` reads them (any case, the same defaults), so that ``quorum review``
does not import pydantic to build a 40-field model it does not use. A review with a model builds
the full ``Settings`` (the LLM layer reads a dozen more fields, validated).

Standard library only (``platformdirs`` when a directory variable is unset).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "QUORUM_"


def default_data_dir() -> Path:
    """Where Quorum keeps its data when ``QUORUM_DATA_DIR`` is unset (``platformdirs``' user data dir)."""
    import platformdirs  # noqa: PLC0415 - only when the variable is unset

    return Path(platformdirs.user_data_dir("quorum"))


def default_cache_dir() -> Path:
    """Where Quorum keeps its caches when ``QUORUM_CACHE_DIR`` is unset (``platformdirs``' user cache dir)."""
    import platformdirs  # noqa: PLC0415 - only when the variable is unset

    return Path(platformdirs.user_cache_dir("quorum"))


def settings_from_env(environ: Mapping[str, str], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The ``QUORUM_*`` variables of ``environ`` that name a field of ``fields`` (field name ->
    pydantic ``FieldInfo``, or anything with an ``annotation``), keyed by field name. Variable names
    match in any case; values of dict and list fields are parsed as JSON (ValueError naming the
    variable when they are not JSON)."""
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.upper().startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX):].lower()
        info = fields.get(name)
        if info is None:
            continue
        if _is_container(info.annotation):
            try:
                values[name] = json.loads(raw)
            except ValueError as exc:
                raise ValueError(f"{key} is not valid JSON: {exc}") from exc
        else:
            values[name] = raw
    return values


def _is_container(annotation: Any) -> bool:
    """True for dict/list annotations, also inside ``X | None``."""
    from typing import get_args, get_origin  # noqa: PLC0415

    if get_origin(annotation) in (dict, list) or annotation in (dict, list):
        return True
    return any(_is_container(arg) for arg in get_args(annotation) if arg is not type(None))


def database_url_or_default(database_url: str | None, data_dir: Path) -> str:
    """``database_url``, or the SQLite file ``<data_dir>/decisions.sqlite3`` when it is empty or None."""
    if database_url:
        return database_url
    return f"sqlite:///{data_dir / 'decisions.sqlite3'}"


@dataclass(frozen=True)
class _Field:
    annotation: Any


_LOCAL_FIELDS: Mapping[str, _Field] = {
    "database_url": _Field(str), "data_dir": _Field(Path), "cache_dir": _Field(Path), "model": _Field(str),
}
"""The fields of :class:`LocalSettings`, all plain text or paths in :class:`bot.config.Settings`
(no constraint, no JSON): read as ``Settings`` reads them."""


@dataclass(frozen=True)
class LocalSettings:
    """What a local review without a model needs of :class:`bot.config.Settings`, with the same
    names, values and defaults (``tests/core/test_config_env.py`` holds them equal).

    - ``database_url``: ``QUORUM_DATABASE_URL`` (None: the SQLite file under ``data_dir``);
    - ``data_dir`` / ``cache_dir``: ``QUORUM_DATA_DIR`` / ``QUORUM_CACHE_DIR`` (default: the
      user's data and cache directories, from ``platformdirs``);
    - ``model``: ``QUORUM_MODEL`` (None: offline). When set, build ``Settings`` instead.
    """

    database_url: str | None
    data_dir: Path
    cache_dir: Path
    model: str | None

    def resolved_database_url(self) -> str:
        """Same as :meth:`bot.config.Settings.resolved_database_url`."""
        return database_url_or_default(self.database_url, self.data_dir)


def local_settings(environ: Mapping[str, str]) -> LocalSettings:
    """:class:`LocalSettings` from ``environ`` (``os.environ`` at the entry point)."""
    values = settings_from_env(environ, _LOCAL_FIELDS)
    data_dir = values.get("data_dir")
    cache_dir = values.get("cache_dir")
    return LocalSettings(
        database_url=values.get("database_url"),
        data_dir=Path(data_dir) if data_dir is not None else default_data_dir(),
        cache_dir=Path(cache_dir) if cache_dir is not None else default_cache_dir(),
        model=values.get("model"),
    )
