"""Checks for dataclasses built from Quorum's own YAML data (the rule catalog and registry).

Those files ship with the code that reads them, so they are checked here, in plain Python, the
way the pydantic models that used to load them did (the rule tests keep those models as the
reference: every packaged file gives equal objects). Each function returns the value in its
stored form or raises ``ValueError`` naming the field; nothing is coerced beyond what pydantic's
lax mode did for these files (a list of strings becomes a tuple; a severity name its enum).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def text(name: str, value: Any, *, min_length: int = 0) -> str:
    """``value`` when it is a ``str`` of at least ``min_length`` characters; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{name}: input should be a valid string (got {type(value).__name__})")
    if len(value) < min_length:
        raise ValueError(f"{name}: string should have at least {min_length} character{'s' if min_length > 1 else ''}")
    return value


def optional_text(name: str, value: Any) -> str | None:
    """``value`` when it is None or a ``str``; ValueError otherwise."""
    return None if value is None else text(name, value)


def texts(name: str, value: Any, *, min_length: int = 0) -> tuple[str, ...]:
    """``value`` (a list or tuple of ``str``, at least ``min_length`` items) as a tuple; ValueError otherwise."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name}: input should be a valid list (got {type(value).__name__})")
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        for i, v in enumerate(out):
            text(f"{name}[{i}]", v)
    if len(out) < min_length:
        raise ValueError(f"{name}: should have at least {min_length} item{'s' if min_length > 1 else ''}")
    return out


def flag(name: str, value: Any) -> bool:
    """``value`` when it is a ``bool``; ValueError otherwise."""
    if not isinstance(value, bool):
        raise ValueError(f"{name}: input should be a valid boolean (got {value!r})")
    return value


def text_map(name: str, value: Any) -> dict[str, str]:
    """``value`` (a mapping of ``str`` to ``str``) as a new dict; ValueError otherwise."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: input should be a valid dictionary (got {type(value).__name__})")
    return {text(f"{name} key", k): text(f"{name}.{k}", v) for k, v in value.items()}


def choice(name: str, value: Any, kind: type) -> Any:
    """``value`` as a member of the string enum ``kind`` (a member, or its value); ValueError otherwise."""
    try:
        return kind(value)
    except ValueError:
        valid = ", ".join(m.value for m in kind)
        raise ValueError(f"{name}: {value!r} is not one of {valid}") from None


def nested(name: str, value: Any, kind: type) -> Any:
    """``value`` as the dataclass ``kind`` (an instance, or a mapping of its fields); ValueError otherwise."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: input should be a mapping (got {type(value).__name__})")
    try:
        return kind(**value)
    except TypeError as exc:  # a missing or unknown key
        raise ValueError(f"{name}: {exc}") from None
