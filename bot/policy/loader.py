"""Reading policies: the packaged default, a repository's ``.quorum.yml`` merged on top, one-line errors.

YAML is parsed with a safe loader that also refuses aliases (no "billion laughs"), duplicate keys
and non-string keys. Any problem becomes a :class:`~bot.core.errors.PolicyError` whose message is
one line, e.g. ``.quorum.yml: unknown key 'max_line' in auto_approve (valid: max_changed_lines, ...)``.
"""

from __future__ import annotations

import functools
import marshal
import types
import typing
from typing import Any

from bot.core.errors import PolicyError
from bot.core.packagedata import package_files
from bot.policy.model import Policy

if typing.TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

MAX_POLICY_BYTES = 256 * 1024
"""Larger policy texts are refused (a policy is a few kilobytes)."""

DEFAULT_POLICY_RESOURCE = ("rules", "default_policy.yml")


def default_policy_text() -> str:
    """The text of ``rules/default_policy.yml``, read from the installed ``rules`` package."""
    package, name = DEFAULT_POLICY_RESOURCE
    return package_files(package).joinpath(name).read_text(encoding="utf-8")


def load_policy(text: str | None = None, *, source: str = "default") -> Policy:
    """Validate a policy.

    ``text`` None means the default policy alone; otherwise ``text`` (a repository's ``.quorum.yml``,
    read from the base branch) is deep-merged on top of the default: mappings merge key by key,
    lists and scalars replace. An empty text means the default. ``source`` names the text in error
    messages. Raises :class:`PolicyError` (one line, prefixed with ``source``) for invalid YAML, a
    text that is not a mapping, unknown keys (the message lists the valid keys at that level), wrong
    types or values, and configurations that would not fail closed.
    """
    default = _parse_default(default_policy_text())
    if text is None:
        try:
            return Policy.from_dump(default)  # Quorum's own file: see bot.policy.model
        except (KeyError, TypeError, ValueError):  # not in the validated shape: let the schema say why
            pass
    merged = default if text is None else deep_merge(default, _parse(text, source))
    return validate_policy(merged, source)


def validate_policy(data: dict[str, Any], source: str) -> Policy:
    """Validate ``data`` (a merged policy) with the pydantic schema (:mod:`bot.policy.schema`, imported
    here) and return it as a :class:`~bot.policy.model.Policy`. Raises :class:`PolicyError` (one
    line, prefixed with ``source``)."""
    from pydantic import ValidationError  # noqa: PLC0415 - only where a policy text is validated

    from bot.policy import schema  # noqa: PLC0415

    try:
        validated = schema.Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_one_line(f"{source}: {format_validation_error(exc)}")) from None
    return Policy.from_dump(validated.model_dump())


def reviewers_policy(text: str | None) -> Any:
    """The ``reviewers`` section (:class:`bot.policy.schema.Reviewers`) of the policy ``text``
    (a repository's ``.quorum.yml`` on the base branch, None: the default), or the default
    policy's when ``text`` is invalid: a broken ``.quorum.yml`` must not stop a human hand-off."""
    try:
        return load_policy(text, source=".quorum.yml").reviewers
    except PolicyError:
        return load_policy(None).reviewers


def _one_line(message: str) -> str:
    return " ".join(message.split())


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` on top of ``base``: mappings merge recursively, anything else replaces.

    Pure: returns new containers for merged mappings and never mutates its arguments.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = deep_merge(base[key], value) if key in base else value
        return out
    return override


def _parse_default(text: str) -> dict[str, Any]:
    """The packaged default policy, parsed by the same strict loader as any policy; while the CLI's
    :class:`bot.core.yamldata.ParsedYamlCache` is active, looked up by content (a fresh copy each
    time) so a review whose repository has no ``.quorum.yml`` does not import PyYAML. Without one
    (a long-lived process: the command server and its forked reviews, the App worker, ``quorum
    replay``), parsed once per process and content (:func:`_parsed_default`), a fresh copy each
    time: the served review re-parsed it with PyYAML (~1.5 ms of CPU) on every review. Quorum's own
    file only: a repository's ``.quorum.yml`` is always parsed by :func:`_parse`."""
    from bot.core.yamldata import cache_active, load_data_yaml  # noqa: PLC0415

    if cache_active():
        return load_data_yaml(text, parse=_parse_packaged, tag="policy-strict")
    try:
        return marshal.loads(_parsed_default(text))
    except ValueError:  # not plain data (marshal cannot hold it): parsed every time
        return _parse_packaged(text)


def _parse_packaged(text: str) -> dict[str, Any]:
    return _parse(text, "rules/default_policy.yml")


@functools.lru_cache(maxsize=2)
def _parsed_default(text: str) -> bytes:
    """``marshal`` bytes of the default policy ``text`` parsed (plain data: the same dicts, lists,
    strings, numbers a parse returns); raises what :func:`_parse` raises (never cached), ValueError
    when the result is not plain data."""
    return marshal.dumps(_parse_packaged(text))


def _parse(text: str, source: str) -> dict[str, Any]:
    if len(text.encode("utf-8", "surrogateescape")) > MAX_POLICY_BYTES:
        raise PolicyError(_one_line(f"{source}: policy is larger than {MAX_POLICY_BYTES // 1024} KiB"))
    import yaml  # noqa: PLC0415 - only when a policy text is parsed, not when the default comes from the cache

    from bot.policy.strictyaml import StrictLoader  # noqa: PLC0415

    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "parse error").split())
        raise PolicyError(_one_line(f"{source}: invalid YAML{where}: {problem}")) from None
    except yaml.YAMLError as exc:
        raise PolicyError(_one_line(f"{source}: invalid YAML: {exc}")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(_one_line(f"{source}: a policy must be a YAML mapping, got {_type_name(data)}"))
    return data


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


# --- validation errors -> one line -------------------------------------------------------------


def format_validation_error(exc: ValidationError) -> str:
    """One line for the first error of ``exc`` (plus how many more there are).

    Unknown keys: ``unknown key 'k' in <path> (valid: a, b, c)``; other errors:
    ``<path>: <message> (got <value>)``. Paths use the YAML key names, dotted, with ``[i]`` for items.
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        from bot.policy import schema  # noqa: PLC0415

        parent = loc[:-1]
        where = f"in {_dotted(parent)}" if parent else "at the top level"
        valid = ", ".join(_valid_keys(schema.Policy, parent))
        line = f"unknown key '{loc[-1]}' {where} (valid: {valid})"
    else:
        msg = first["msg"]
        if first["type"] in ("value_error", "assertion_error"):
            msg = str(first.get("ctx", {}).get("error", msg))
        line = f"{_dotted(loc) or 'policy'}: {msg}"
        if first["type"] not in ("value_error", "missing"):
            line += f" (got {_short(first.get('input'))})"
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return line


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _short(value: Any) -> str:
    text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _valid_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """YAML key names accepted at ``loc`` below ``model`` (declaration order)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    if _is_model(current):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel  # noqa: PLC0415 - only when wording a validation error

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _step(annotation: Any, part: Any) -> Any:
    if _is_model(annotation):
        for name, f in annotation.model_fields.items():
            if part in (name, f.alias):
                return f.annotation
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (dict,) and len(args) == 2:
        return args[1]
    if origin in (list, tuple) and args:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _step(arg, part)
            if found is not None:
                return found
    return None
