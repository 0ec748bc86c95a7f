"""Module resolution for the code index: which file an import names, what a name binds to.

- Python: dotted module names from paths (a top directory that is not a package, such as
  ``src/``, may be left out), relative imports, re-exports through package ``__init__`` files
  and wildcard imports (followed up to 3 hops).
- JS/TS: relative specifiers (``./x`` -> ``x.ts``, ``x/index.js``...); bare specifiers are
  packages and stay unresolved.
- Go: an import path names the package directory it ends with.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from functools import cached_property

from bot.codeindex._ecmascript import module_name as js_module_name
from bot.codeindex._python import module_name as py_module_name
from bot.codeindex.model import Definition, Import


def is_init_path(path: str) -> bool:
    """True for a Python package's ``__init__.py`` / ``__init__.pyi``."""
    return posixpath.basename(path) in ("__init__.py", "__init__.pyi")


def family_of(language: str) -> str:
    """``python``, ``ecmascript`` (JS, TS, TSX) or ``go``."""
    return "ecmascript" if language in ("javascript", "typescript", "tsx") else language


def python_module_map(modules: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Python module name -> path from ``(module, path)`` pairs (a name given twice keeps its last
    path), plus each module under its name without a top directory that is not a
    package (``src.pkg.mod`` also as ``pkg.mod``) unless that name is taken."""
    full = dict(modules)
    packages = {m.split(".")[0] for m, p in full.items() if is_init_path(p) and "." not in m}
    out = dict(full)
    for module, path in full.items():
        head, _, rest = module.partition(".")
        if rest and head not in packages:
            out.setdefault(rest, path)
    return out


def js_module_map(modules: Iterable[tuple[str, str]]) -> dict[str, str]:
    """JS/TS module id -> path from ``(module id, path)`` pairs, the first pair of an id winning; an
    ``index`` module is also reachable by its directory."""
    out: dict[str, str] = {}
    for module, path in modules:
        out.setdefault(module, path)
        if posixpath.basename(module) == "index":
            out.setdefault(posixpath.dirname(module), path)
    return out


class Modules:
    """Mixin for :class:`bot.codeindex.index.CodeIndex`; needs ``self.files`` (path -> FileEntry)."""

    files: dict

    # ----------------------------------------------------------------- modules
    @cached_property
    def _py_modules(self) -> dict[str, str]:
        """Python module name -> path, plus names without a non-package top directory (``src.``)."""
        return python_module_map((entry.module, path) for path, entry in self.files.items() if entry.language == "python")

    @cached_property
    def _js_modules(self) -> dict[str, str]:
        """JS/TS module id (path without extension; a directory for ``index`` files) -> path."""
        return js_module_map((entry.module, path) for path, entry in sorted(self.files.items())
                             if family_of(entry.language) == "ecmascript")

    def _py_absolute(self, entry, imp: Import) -> str:  # noqa: ANN001 - FileEntry
        """Absolute module named by a Python import in ``entry`` (relative imports resolved)."""
        if imp.level == 0:
            return imp.module
        parts = entry.module.split(".")
        if not is_init_path(entry.path):
            parts = parts[:-1]
        drop = imp.level - 1
        if drop:
            parts = parts[:-drop] if drop < len(parts) else []
        base = ".".join(parts)
        if not imp.module:
            return base
        return f"{base}.{imp.module}" if base else imp.module

    def _py_module_is(self, module: str, path: str) -> bool:
        """Does Python module name ``module`` denote the file ``path`` (which may be gone from the tree)?"""
        known = self._py_modules.get(module)
        if known is not None:
            return known == path
        full = py_module_name(path)
        return module == full or full.endswith("." + module)

    def _js_resolve(self, importer: str, spec: str) -> str:
        """Module id of a JS/TS import specifier seen in ``importer`` (bare specifiers unchanged)."""
        if not spec.startswith("."):
            return spec
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
        return js_module_name(joined)

    def _js_module_is(self, module_id: str, path: str) -> bool:
        known = self._js_modules.get(module_id)
        if known is not None:
            return known == path
        mod = js_module_name(path)
        return module_id == mod or (posixpath.basename(mod) == "index" and module_id == posixpath.dirname(mod))

    @staticmethod
    def _go_import_is(import_path: str, path: str) -> bool:
        directory = posixpath.dirname(path)
        return bool(directory) and (import_path == directory or import_path.endswith("/" + directory))

    # ---------------------------------------------------------------- bindings
    def _py_binding(self, entry, alias: str) -> tuple[str, str | None] | None:  # noqa: ANN001
        """What ``alias`` names in ``entry``: ``(module, None)`` for a module, ``(module, member)``
        for an imported member; None when it is not imported."""
        for imp in entry.imports:
            if imp.alias != alias or imp.name == "*":
                continue
            module = self._py_absolute(entry, imp)
            if imp.name is None:
                return module, None
            sub = f"{module}.{imp.name}" if module else imp.name
            if sub in self._py_modules:
                return sub, None
            return module, imp.name
        return None

    @cached_property
    def _py_targets_memo(self) -> dict[tuple[str, str, int], frozenset[tuple[str, str]]]:
        """:meth:`_py_targets`' answers: they depend on the tree only (the module map, the names
        each file defines, its imports), not on the question's context."""
        return {}

    def _py_targets(self, module: str, name: str, depth: int = 3) -> frozenset[tuple[str, str]]:
        """Where ``module.name`` is defined: ``{(path, name)}`` for indexed files, ``{(module, name)}``
        when the module is not in the tree. Follows re-exports (imports, wildcards) ``depth`` hops;
        a name the module neither defines nor re-exports resolves to the module itself (so calls
        to a symbol removed from it still resolve there). Remembered per index (matching the
        calls of pydantic c82f870d's reach asked 4,220 of them, 548 distinct questions)."""
        key = (module, name, depth)
        memo = self._py_targets_memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = frozenset(self._py_targets_of(module, name, depth))
        return found

    def _py_targets_of(self, module: str, name: str, depth: int) -> set[tuple[str, str]]:
        """:meth:`_py_targets`, worked out."""
        path = self._py_modules.get(module)
        if path is None:
            return {(module, name)}
        entry = self.files[path]
        if name in entry.def_names:
            return {(path, name)}
        out: set[tuple[str, str]] = set()
        if depth <= 0:
            return out
        for imp in entry.imports:
            if imp.name == "*":
                found = self._py_targets(self._py_absolute(entry, imp), name, depth - 1)
                out |= {t for t in found if t[0] in self.files and name in self.files[t[0]].def_names}
            elif imp.alias == name and imp.name is not None:
                out |= self._py_targets(self._py_absolute(entry, imp), imp.name, depth - 1)
        return out or {(path, name)}

    def _py_denotes(self, module: str, member: str, d: Definition, name: str) -> bool:
        """Does ``module.member`` resolve to definition ``d`` (whose call name is ``name``)?"""
        return any(t[1] == name and self._target_is(t, d) for t in self._py_targets(module, member))

    def _target_is(self, target: tuple[str, str], d: Definition) -> bool:
        where = target[0]
        if where in self.files:
            return where == d.path
        return self._py_module_is(where, d.path)
