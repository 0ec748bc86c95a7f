"""Navigation over the code index: entry points, call paths upward (traces) and reach.

Entry points are a heuristic (public API, ``main``, route/CLI decorators); traces and reach are
bounded (depth, fan-out, visited symbols) so they stay fast on large repositories.
"""

from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from bot.codeindex.model import CallSite, Definition, Step
from bot.codeindex.modules import family_of, is_init_path
from bot.core.paths import is_test_path

if TYPE_CHECKING:
    from bot.codeindex.index import FileEntry

_ROUTE_DECORATOR = re.compile(
    r"(^|\.)(route|api_route|get|post|put|patch|delete|head|options|websocket|command|group|callback|task|"
    r"shared_task|handler|listener|subscriber|receiver|on_event|cli|main|entrypoint|hookimpl|register)\b"
)
"""Decorators that make a function reachable from outside (web routes, CLI commands, tasks)."""

_HOW_RANK = {"local": 0, "import": 0, "typed": 0, "inherit": 1, "name": 2}


class Reach(NamedTuple):
    """How far a change to a symbol propagates through calls (bounded search).

    ``call_sites``: direct call sites; ``files``: files with direct or transitive callers (the
    symbol's own file excluded); ``entry_points``: qualified names of entry points reached
    (the symbol itself when it is one); ``complete``: False when the bound cut the search.
    """

    call_sites: int
    files: tuple[str, ...]
    entry_points: tuple[str, ...]
    complete: bool


class Navigation:
    """Mixin for :class:`bot.codeindex.index.CodeIndex` (uses ``files``, ``definition(s)``,
    ``resolved_callers`` and the module resolution of :class:`bot.codeindex.modules.Modules`)."""

    files: dict

    # ------------------------------------------------------------ navigation
    @cached_property
    def _py_reexported(self) -> dict[str, set[str]]:
        """Python path -> names a package ``__init__`` imports from it (``*`` for a wildcard)."""
        out: dict[str, set[str]] = {}
        for path, entry in self.files.items():
            if entry.language != "python" or not is_init_path(path):
                continue
            for imp in entry.imports:
                if imp.name is None:
                    continue
                module = self._py_absolute(entry, imp)
                target = self._py_modules.get(module)
                if target is not None and target != path:
                    out.setdefault(target, set()).add(imp.name)
        return out

    def is_entry_point(self, d: Definition) -> bool:
        """Heuristic: is ``d`` reachable from outside the repository's own code?

        Entry points are functions, methods and classes outside test code that are: named
        ``main`` at module level (or Go ``init``); decorated as a route, CLI command or task; or
        public API — Python: listed in ``__all__``, defined in or re-exported by a package ``__init__``
        (public methods of such classes too); JS/TS: exported (and methods of exported classes);
        Go: exported from a non-``main``, non-``internal`` package.
        """
        if d.kind not in ("function", "method", "class") or is_test_path(d.path):
            return False
        if d.parent is None and (d.name == "main" or (d.name == "init" and d.path.endswith(".go"))):
            return True
        if any(_ROUTE_DECORATOR.search(dec.split("(", 1)[0]) for dec in d.decorators):
            return True
        if not d.is_public:
            return False
        entry = self.files.get(d.path)
        if entry is None:
            return False
        fam = family_of(entry.language)
        if fam == "go":
            parts = posixpath.dirname(d.path).split("/")
            return d.is_public and not entry.has_main and "internal" not in parts
        top, nested = self._top_level(d, entry)
        if top is None or (nested and not self._only_classes_between(d, entry)):
            return False
        if fam == "python":
            if entry.exports is not None:
                return top.name in entry.exports
            if is_init_path(d.path):
                return True
            names = self._py_reexported.get(d.path, set())
            return top.name in names or "*" in names
        return top.exported

    def _top_level(self, d: Definition, entry: FileEntry) -> tuple[Definition | None, bool]:
        if d.parent is None:
            return d, False
        top_name = d.qualname[len(entry.module) + 1 :].split(".", 1)[0]
        return entry.by_qualname().get(f"{entry.module}.{top_name}"), True

    @staticmethod
    def _only_classes_between(d: Definition, entry: FileEntry) -> bool:
        by_qual = entry.by_qualname()
        parent = d.parent
        while parent and parent != entry.module:
            p = by_qual.get(parent)
            if p is None or p.kind != "class":
                return False
            parent = p.parent
        return True

    def entry_points(self, path: str | None = None) -> list[Definition]:
        """Entry points (see :meth:`is_entry_point`) of ``path``, or of the whole index."""
        paths = [path] if path is not None else sorted(self.files)
        out: list[Definition] = []
        for p in paths:
            syms = self.file(p)
            if syms is not None:
                out.extend(d for d in syms.definitions if self.is_entry_point(d))
        return out

    def _caller_def(self, call: CallSite) -> Definition | None:
        entry = self.files.get(call.path)
        return None if entry is None else entry.by_qualname().get(call.scope)

    def _ordered_callers(self, d: Definition) -> list[tuple[CallSite, str]]:
        return sorted(
            self.resolved_callers(d),
            key=lambda x: (is_test_path(x[0].path), _HOW_RANK[x[1]], x[0].path, x[0].line),
        )

    def trace(
        self, target: str | Definition, depth: int = 3, *, fan_out: int = 5, max_paths: int = 12
    ) -> list[list[Step]]:
        """Call paths upward from ``target`` toward entry points.

        Each path starts at the target's definition and adds one step per caller
        (``Step(path, line of the call, enclosing symbol)``); it ends at an entry point, a
        module-level call, a symbol without callers, a cycle, or after ``depth`` caller hops.
        At most ``fan_out`` callers are followed per symbol (non-test, import-resolved first) and
        at most ``max_paths`` paths are returned. Empty when the target is unknown.
        """
        d = target if isinstance(target, Definition) else self.definition(target) or next(
            iter(self.definitions(target)), None
        )
        if d is None:
            return []
        paths: list[list[Step]] = []

        def walk(cur: Definition, steps: list[Step], seen: frozenset[str], level: int) -> None:
            if len(paths) >= max_paths:
                return
            if (level > 0 and self.is_entry_point(cur)) or level >= depth:
                paths.append(steps)
                return
            callers = self._ordered_callers(cur)[:fan_out]
            if not callers:
                paths.append(steps)
                return
            for call, _how in callers:
                if len(paths) >= max_paths:
                    return
                step = Step(call.path, call.line, call.scope)
                caller = self._caller_def(call)
                if caller is None or caller.qualname in seen:
                    paths.append([*steps, step])
                    continue
                walk(caller, [*steps, step], seen | {caller.qualname}, level + 1)

        walk(d, [Step(d.path, d.line, d.qualname)], frozenset({d.qualname}), 0)
        return paths

    def reach(self, target: Definition, depth: int = 3, *, max_nodes: int = 200) -> Reach:
        """Breadth-first over callers up to ``depth`` hops (at most ``max_nodes`` symbols visited)."""
        direct = self.resolved_callers(target)
        files: set[str] = set()
        entries: set[str] = {target.qualname} if self.is_entry_point(target) else set()
        seen = {target.qualname}
        frontier = [target]
        complete = True
        calls = direct
        for _level in range(depth):
            nxt: list[Definition] = []
            for cur in frontier:
                for call, _how in calls if cur is target else self.resolved_callers(cur):
                    if call.path != target.path:
                        files.add(call.path)
                    caller = self._caller_def(call)
                    if caller is None or caller.qualname in seen:
                        continue
                    if len(seen) >= max_nodes:
                        complete = False
                        continue
                    seen.add(caller.qualname)
                    if self.is_entry_point(caller):
                        entries.add(caller.qualname)
                    nxt.append(caller)
            frontier = nxt
            if not frontier:
                break
        else:
            complete = complete and not frontier
        return Reach(len(direct), tuple(sorted(files)), tuple(sorted(entries)), complete)
