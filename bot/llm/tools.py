"""Read-only tools a model may call while it reviews, and the traced context shown up front.

Tools (OpenAI function-calling specs, arguments validated with ``extra="forbid"`` models):

- ``read_file(path, revision="head"|"base", start_line=1, end_line=None)``: numbered lines;
- ``show_definition(name)``: where a symbol is defined (code index) and its head source;
- ``find_references(name)`` / ``find_callers(name)``: reference and call sites (code index);
- ``trace_callers(name)``: call paths from a symbol up toward entry points (code index);
- ``search_code(query)``: definitions whose name contains ``query`` (code index).

They only read the ReviewContext's TreeViews and code index: nothing runs, nothing is written.
Every output is sanitized like the rest of the prompt (secrets redacted, invisible characters
made visible), capped at ``max_chars`` and fenced as untrusted data. Bad arguments return an
``error: ...`` text for the model to correct; a tool name that does not exist raises
:class:`UnknownToolError` (the reasoner abstains: a model asking for tools it was never offered
is confused or steered).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.context import ReviewContext
from bot.core.diff import FileChange
from bot.llm.payload import fence, shield_code

MAX_READ_LINES = 400
MAX_RESULTS = 25


class UnknownToolError(LookupError):
    """The model called a tool that was not offered."""


class _ReadFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=500)
    revision: Literal["head", "base"] = "head"
    start_line: int = Field(default=1, ge=1)
    end_line: int | None = Field(default=None, ge=1)


class _Name(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=2, max_length=200)


_SPECS: dict[str, tuple[type[BaseModel], str]] = {
    "read_file": (_ReadFile, "Read lines of a file at the head (default) or base revision of the pull request."),
    "show_definition": (_Name, "Show where a function, class or constant is defined and its source (head)."),
    "find_references": (_Name, "List the places that reference a name (head revision)."),
    "find_callers": (_Name, "List the call sites of a function or method, by its name (head revision)."),
    "trace_callers": (_Name, "Call paths from a function up through its callers toward entry points (head revision)."),
    "search_code": (_Query, "Find definitions whose name contains the query (head revision)."),
}

TOOL_NAMES: frozenset[str] = frozenset(_SPECS)


def tool_specs() -> list[dict[str, Any]]:
    """The tool list in OpenAI function-calling form, sorted by name."""
    out = []
    for name in sorted(_SPECS):
        model, description = _SPECS[name]
        schema = model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        out.append({"type": "function", "function": {"name": name, "description": description, "parameters": schema}})
    return out


def _render(item: Any) -> str:
    """One index record as ``path:line ...`` (definitions, call sites, steps, (path, line) pairs)."""
    if isinstance(item, (list, tuple)) and item and all(hasattr(s, "render") for s in item):
        return " -> ".join(s.render() for s in item)
    if hasattr(item, "render"):
        return str(item.render())
    path = getattr(item, "path", None)
    line = getattr(item, "line", None)
    if path is None and isinstance(item, tuple) and len(item) >= 2:
        path, line = item[0], item[1]
    where = f"{path}:{line}" if path is not None else "?"
    if hasattr(item, "qualname"):
        end = getattr(item, "end_line", line)
        sig = getattr(item, "signature", "") or ""
        return f"{where}-{end} {getattr(item, 'kind', '')} {item.qualname}{(' ' + sig) if sig else ''}".strip()
    if hasattr(item, "callee"):
        return f"{where} in {getattr(item, 'scope', '?')}: calls {item.callee}"
    if isinstance(getattr(item, "name", None), str):
        return f"{where} {item.name}"
    return where


class ToolBox:
    """The tools of one review, bound to its context. Thread-safe (read-only)."""

    def __init__(self, ctx: ReviewContext, *, max_chars: int = 8000) -> None:
        self.ctx = ctx
        self.max_chars = max_chars

    def specs(self) -> list[dict[str, Any]]:
        """See :func:`tool_specs`."""
        return tool_specs()

    def call(self, name: str, arguments: str) -> str:
        """Run tool ``name`` with the model's raw JSON ``arguments``; return text for the model.

        Raises :class:`UnknownToolError` when ``name`` is not a tool. Never raises for bad
        arguments, missing files or an unavailable index: those return ``error: ...``.
        """
        if name not in _SPECS:
            raise UnknownToolError(name)
        model, _ = _SPECS[name]
        try:
            raw = json.loads(arguments or "{}")
            args = model.model_validate(raw)
        except (json.JSONDecodeError, ValidationError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
            )
            return f"error: invalid arguments for {name}: {detail}"
        handler: Callable[[Any], str] = getattr(self, f"_t_{name}")
        try:
            text = handler(args)
        except _ToolFailure as exc:
            return f"error: {exc}"
        shielded = shield_code(text).text
        if len(shielded) > self.max_chars:
            shielded = shielded[: self.max_chars] + "\n[… left out: output cut at the tool's size cap …]"
        return f"{name} result:\n{fence(shielded)}"

    # ------------------------------------------------------------------ tools

    def _t_read_file(self, args: _ReadFile) -> str:
        path = _check_path(args.path)
        tree = self.ctx.head if args.revision == "head" else self.ctx.base
        data = tree.read(path)
        if data is None:
            raise _ToolFailure(f"no file {path!r} at the {args.revision} revision")
        if b"\x00" in data[:8000]:
            raise _ToolFailure(f"{path!r} is a binary file")
        lines = data.decode("utf-8", "replace").splitlines()
        start = args.start_line
        end = min(args.end_line or len(lines), len(lines), start + MAX_READ_LINES - 1)
        if start > len(lines):
            raise _ToolFailure(f"{path!r} has only {len(lines)} lines at the {args.revision} revision")
        body = [f"{n:>5} | {lines[n - 1]}" for n in range(start, end + 1)]
        head = f"{path} @ {args.revision}, lines {start}-{end} of {len(lines)}"
        if end < (args.end_line or len(lines)):
            last = args.end_line or len(lines)
            body.append(f"[… left out: lines {end + 1}-{last} (at most {MAX_READ_LINES} per call) …]")
        return head + "\n" + "\n".join(body)

    def _t_show_definition(self, args: _Name) -> str:
        index = self._index()
        defs = list(_call(index, "definitions", args.name))[:5]
        if not defs:
            return f"no definition of {args.name!r} in the code index"
        out = []
        for d in defs:
            out.append(_render(d))
            path, line, end = getattr(d, "path", None), getattr(d, "line", None), getattr(d, "end_line", None)
            data = self.ctx.head.read(path) if path else None
            if data is not None and line:
                src = data.decode("utf-8", "replace").splitlines()
                stop = min(end or line, line + 60, len(src))
                out.extend(f"{n:>5} | {src[n - 1]}" for n in range(line, stop + 1))
                if end and end > stop:
                    out.append(f"[… left out: lines {stop + 1}-{end} (use read_file) …]")
        return "\n".join(out)

    def _t_find_references(self, args: _Name) -> str:
        return self._listing("references", args.name, f"no references to {args.name!r} in the code index")

    def _t_find_callers(self, args: _Name) -> str:
        return self._listing("callers", args.name, f"no callers of {args.name!r} in the code index")

    def _t_trace_callers(self, args: _Name) -> str:
        paths = list(_call(self._index(), "trace", args.name))
        if not paths:
            return f"no call paths to {args.name!r} in the code index"
        return "each path: the symbol, then its callers (path:line symbol)\n" + _lines(paths, "paths")

    def _t_search_code(self, args: _Query) -> str:
        index = self._index()
        files = getattr(index, "files", None)
        if not isinstance(files, dict):
            raise _ToolFailure("the code index cannot be searched")
        needle = args.query.lower()
        names = sorted({n for entry in files.values() for n in getattr(entry, "def_names", ()) if needle in n.lower()})
        if not names:
            return f"no definition name contains {args.query!r}"
        hits = [d for n in names[: MAX_RESULTS * 2] for d in _call(index, "definitions", n)]
        return _lines(hits, "definitions")

    # ------------------------------------------------------------------ helpers

    def _index(self) -> Any:
        if self.ctx.code_index is None:
            raise _ToolFailure("the code index is not available for this review")
        try:
            index = self.ctx.code_index()
        except Exception as exc:  # noqa: BLE001 - index build failure is reported to the model, not raised
            raise _ToolFailure(f"the code index could not be built ({type(exc).__name__})") from exc
        if index is None:
            raise _ToolFailure("the code index is not available for this review")
        return index

    def _listing(self, method: str, name: str, empty: str) -> str:
        hits = list(_call(self._index(), method, name))
        return _lines(hits, method) if hits else empty


class _ToolFailure(Exception):
    """A tool could not answer; the message goes back to the model as ``error: ...``."""


def _call(index: Any, method: str, arg: str) -> Iterable[Any]:
    fn = getattr(index, method, None)
    if fn is None:
        raise _ToolFailure(f"the code index cannot list {method}")
    return fn(arg) or ()


def _lines(hits: list[Any], what: str) -> str:
    out = [_render(h) for h in hits[:MAX_RESULTS]]
    if len(hits) > MAX_RESULTS:
        out.append(f"[… left out: {len(hits) - MAX_RESULTS} more {what} …]")
    return "\n".join(out)


def _check_path(path: str) -> str:
    stripped = path.strip()
    clean = posixpath.normpath(stripped[2:] if stripped.startswith("./") else stripped)
    if clean.startswith(("/", "../")) or clean in ("..", ".") or "\x00" in clean:
        raise _ToolFailure(f"invalid path {path!r}: use a path relative to the repository root")
    return clean


def traced_context(
    ctx: ReviewContext, change: FileChange, *, max_defs: int = 8, max_callers: int = 6, max_paths: int = 3
) -> list[str]:
    """Execution-path evidence for a file's change, from the head code index.

    The definitions touched by the change are the innermost callables of ``change.path`` whose
    line range holds a changed head line (``CodeIndex.definitions_in``). For each: its direct
    callers (``CodeIndex.callers``) and up to ``max_paths`` call paths toward entry points
    (``CodeIndex.trace``). Lines look like ``changed: pkg.mod.f (src/mod.py:10-30)``,
    ``  called from src/app.py:44 in pkg.app.main: calls f`` and
    ``  path: src/mod.py:10 pkg.mod.f -> src/app.py:44 pkg.app.main``. Empty when the index is
    unavailable or knows nothing of the file (never raises for index problems).
    """
    if ctx.code_index is None or change.is_binary:
        return []
    try:
        index = ctx.code_index()
    except Exception:  # noqa: BLE001 - no index: the model can still read files with its tools
        return []
    if index is None or not hasattr(index, "definitions_in"):
        return []
    changed = change.changed_new_lines() or {h.target_start for h in change.hunks}
    found = [d for d in index.definitions_in(change.path, changed) if getattr(d, "is_callable", False)]
    touched = [
        d for d in found if not any(o is not d and d.line <= o.line and o.end_line <= d.end_line for o in found)
    ]
    out: list[str] = []
    for d in touched[:max_defs]:
        signature = f" {d.signature}" if d.signature else ""
        out.append(f"changed: {d.qualname} ({d.path}:{d.line}-{d.end_line}){signature}")
        callers = list(index.callers(d))
        if not callers:
            out.append("  no callers found by the index")
        out.extend(f"  called from {_render(c)}" for c in callers[:max_callers])
        if len(callers) > max_callers:
            out.append(f"  … {len(callers) - max_callers} more callers (use find_callers)")
        for steps in list(index.trace(d))[:max_paths] if callers else []:
            if len(steps) > 1:
                out.append(f"  path: {_render(steps)}")
    if len(touched) > max_defs:
        out.append(f"… {len(touched) - max_defs} more changed definitions")
    return out
