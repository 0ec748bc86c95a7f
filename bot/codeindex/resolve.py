"""Call resolution for the code index: which call sites and references may denote a definition.

Resolution is by bare name first, then narrowed with import information (see
:mod:`bot.codeindex.modules` for how imports name files):

- Python: imported names and modules (aliases, relative imports, wildcards, re-exports);
  ``self.m()`` / ``cls.m()`` inside the class or a subclass (by base-class name); a receiver
  assigned ``x = Class(...)`` in the same scope or a parameter annotated with a class.
- JS/TS: ES ``import`` and CommonJS ``require``; ``this.m()`` inside the class or a subclass;
  a receiver assigned ``new Class()`` in the same scope or a TS parameter typed with a class.
- Go: same package directory, or an import whose path ends with the package directory.

When the receiver of a method call cannot be resolved (``obj.save()``), the call is kept only
when the method name is defined exactly once in the repository and is not a common container
or I/O method name (``get``, ``append``, ``close``...). Each match carries how it was made:
``local`` (same file or class), ``import`` (through imports), ``inherit`` (a subclass's
``self.m()``), ``typed`` (Python: the receiver is a local ``x = Class(...)`` or a parameter
annotated with the class or a subclass) or ``name`` (the unique-name guess).
"""

from __future__ import annotations

import posixpath
import re
from functools import cached_property, lru_cache

from bot.codeindex._ecmascript import module_name as js_module_name
from bot.codeindex._python import module_name as py_module_name
from bot.codeindex.model import CallSite, Definition
from bot.codeindex.modules import Modules, family_of, is_init_path
from bot.core.languages import language_for_path

__all__ = ["COMMON_METHOD_NAMES", "CONSTRUCTOR_NAMES", "Resolution", "annotation_class", "family_of", "is_init_path", "owner_of"]

COMMON_METHOD_NAMES = frozenset(
    """get set put post delete patch head update pop append extend insert remove add discard clear copy keys values
    items setdefault join split strip lstrip rstrip replace format startswith endswith lower upper encode decode find
    index count sort sorted reverse read write close open flush seek tell send recv run start stop wait cancel next
    push shift unshift slice splice map filter reduce forEach then catch finally resolve reject toString valueOf
    call apply bind emit on off once log info debug warning warn error exception critical parse dump dumps load loads
    match search sub group fetch execute commit rollback save exists lock unlock acquire release Close Write Read
    String Error Len Less Swap Lock Unlock Add Done Wait Get Set Delete Run Start Stop Do""".split()
)
"""Method names too generic to attribute to one definition without knowing the receiver."""

CONSTRUCTOR_NAMES = frozenset({"__init__", "__new__", "constructor"})


_OPTIONAL = re.compile(r"^Optional\[(?P<a>.+)\]$")
_NOTHING = frozenset({"None", "null", "undefined"})
_CLASS_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)*(?P<name>[A-Z]\w*)$")


def _nested_call(d: Definition, call: CallSite) -> str | None:
    """A bare call of a function nested in another function, from inside that function."""
    if d.kind != "function" or not d.parent or call.path != d.path:
        return None
    return "local" if call.scope == d.parent or call.scope.startswith(d.parent + ".") else None


def owner_of(d: Definition) -> str:
    """The bare name of the class (or Go receiver type) a method ``d`` belongs to."""
    return (d.parent or "").rsplit(".", 1)[-1].rsplit("/", 1)[-1]


def annotation_class(annotation: str) -> str | None:
    """The class a parameter annotation names (``Cart``, ``"Cart"``, ``models.Cart``,
    ``Optional[Cart]``, ``Cart | None``, TS ``Cart | undefined``), or None for anything else
    (containers, generics, unions of several types)."""
    text = annotation.strip().strip("'\"")
    m = _OPTIONAL.match(text)
    if m:
        text = m.group("a")
    parts = [p.strip().strip("'\"") for p in text.split("|")]
    parts = [p for p in parts if p not in _NOTHING]
    if len(parts) != 1:
        return None
    m = _CLASS_NAME.match(parts[0])
    return m.group("name") if m else None


_dirname = lru_cache(maxsize=16384)(posixpath.dirname)
"""``posixpath.dirname``, remembered: Go's same-package test asks it of the same few paths for
every candidate file of every changed definition (4,300 times in one grpc-go review)."""


def _imports_any_of(entry, names: tuple[str, ...]) -> bool:  # noqa: ANN001 - FileEntry
    """``any(i.name in names for i in entry.imports)``, skipping the file's imports when none of
    ``names`` (each a non-empty str) can be an import's name there (:meth:`FileEntry.may_import`)."""
    if not any(entry.may_import(n.encode("utf-8", "surrogatepass")) for n in names):
        return False
    return any(i[1] in names for i in entry.import_rows())  # Import's fields: module, name, ...


class Resolution(Modules):
    """Mixin for :class:`bot.codeindex.index.CodeIndex`; needs ``self.files`` (path -> FileEntry)
    and ``self._paths_with(kind, name)``."""

    files: dict

    # ------------------------------------------------------------ prefilter
    @cached_property
    def _subclasses(self) -> dict[str, set[str]]:
        """Base-class name -> names of classes declaring it as a base (from headers)."""
        out: dict[str, set[str]] = {}
        for entry in self.files.values():
            for cls, bases in entry.class_bases:
                for b in bases:
                    out.setdefault(b, set()).add(cls)
        return out

    def _subclasses_of(self, base: str) -> set[str] | tuple[()]:
        """Names of classes declaring a base whose last component is ``base``."""
        return self._subclasses.get(base, ())

    def _descendants(self, owner: str, depth: int = 3) -> set[str]:
        out: set[str] = set()
        frontier = {owner}
        for _ in range(depth):
            frontier = {c for f in frontier for c in self._subclasses_of(f)} - out - {owner}
            if not frontier:
                break
            out |= frontier
        return out

    def may_call_from(self, d: Definition, entry) -> bool:  # noqa: ANN001 - FileEntry
        """Cheap necessary condition (headers only) for a call in ``entry`` to resolve to ``d``:
        lets :meth:`match_call` skip decoding files that cannot matter. For a method (not a
        constructor) whose name is not unique: ``entry`` is ``d``'s file, mentions ``d``'s class or
        one of its subclasses (3 levels down, :meth:`_descendants`), or imports ``d``'s module."""
        decided = self._may_call_unless_family(d, entry)
        if decided is not None:
            return decided
        return bool(entry.mentions & self._descendants(owner_of(d)))

    def _may_call_unless_family(self, d: Definition, entry) -> bool | None:  # noqa: ANN001 - FileEntry
        """:meth:`may_call_from` without the one test that needs the subclasses of ``d``'s class:
        its answer, or None when only that test (does ``entry`` mention a subclass?) can decide."""
        if entry.path == d.path:
            return True
        fam = family_of(entry.language)
        if fam != family_of(self._language(d)):
            return False
        name, _ = self.call_name(d)
        constructor = d.name in CONSTRUCTOR_NAMES
        if d.kind == "method" and not constructor:
            if self._unique_name(d.name):
                return True
            if fam == "go":
                return _dirname(entry.path) == _dirname(d.path) or self._imports_module_of(entry, d)
            if owner_of(d) in entry.mentions or self._imports_module_of(entry, d):
                return True
            return None
        if fam == "go":
            return _dirname(entry.path) == _dirname(d.path) or self._imports_module_of(entry, d)
        return _imports_any_of(entry, (name, "*", "default")) or self._imports_module_of(entry, d)

    @cached_property
    def _imports_module_memo(self) -> dict[tuple[str, str], bool]:
        """:meth:`_imports_module_of`'s answers by ``(entry's path, d's path)``: the answer reads
        nothing else of ``d`` (its module, directory or file all follow from its path)."""
        return {}

    def _imports_module_of(self, entry, d: Definition) -> bool:  # noqa: ANN001
        """Does ``entry`` import ``d``'s module (or a package above it) as a module? Remembered per
        index (pydantic 98a08d3e's review asked 848 times, for each of its files' ~30 imports)."""
        key = (entry.path, d.path)
        memo = self._imports_module_memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._imports_module_of_uncached(entry, d)
        return found

    def _imports_module_of_uncached(self, entry, d: Definition) -> bool:  # noqa: ANN001
        """:meth:`_imports_module_of`, worked out."""
        fam = family_of(entry.language)
        if fam == "go":  # :meth:`_go_import_is` with the directory worked out once, not once per import
            directory = _dirname(d.path)
            # a module equal to the directory or ending with "/directory" holds its bytes
            if not directory or not entry.may_import(directory.encode("utf-8", "surrogatepass")):
                return False
            suffix = "/" + directory
            return any(imp[0] == directory or imp[0].endswith(suffix) for imp in entry.import_rows())
        d_module: str | None = None  # ``d``'s module, worked out once when first needed
        for imp in entry.imports:
            if fam == "python":
                module = self._py_absolute(entry, imp)
                if imp.name not in (None, "*"):
                    sub = f"{module}.{imp.name}" if module else imp.name
                    if sub not in self._py_modules:
                        continue
                    module = sub
                if self._py_module_is(module, d.path):
                    return True
                if d_module is None:
                    d_module = self._module_of(d)
                if d_module.startswith(module + "."):
                    return True
            elif fam == "ecmascript" and self._js_module_is(self._js_resolve(entry.path, imp.module), d.path):
                return True
        return False

    # --------------------------------------------------------------- matching
    def call_name(self, d: Definition) -> tuple[str, bool]:
        """The name calls use for ``d`` and whether the first parameter is bound (``self``).

        Constructors (``__init__``, ``constructor``) are called by their class name.
        """
        if d.name in CONSTRUCTOR_NAMES and d.parent:
            return d.parent.rsplit(".", 1)[-1].rsplit("/", 1)[-1], d.name != "constructor"
        if d.kind == "method":
            bound = family_of(self._language(d)) == "python" and not any(
                dec in ("staticmethod", "builtins.staticmethod") for dec in d.decorators
            )
            return d.name, bound
        return d.name, False

    def _language(self, d: Definition) -> str:
        entry = self.files.get(d.path)
        if entry is not None:
            return entry.language
        return language_for_path(d.path) or ""

    def _unique_name(self, name: str) -> bool:
        if name in COMMON_METHOD_NAMES or len(name) < 3:
            return False
        paths = self._paths_with("def", name)
        if len(paths) > 1:
            return False
        if not paths:
            return True
        defs = [x for x in self.files[paths[0]].symbols().definitions if x.name == name]
        return len(defs) <= 1

    def _class_of_scope(self, entry, scope: str) -> Definition | None:  # noqa: ANN001
        """The innermost class enclosing ``scope`` in ``entry``'s file."""
        by_qual = entry.by_qualname()
        q = scope
        while q:
            d = by_qual.get(q)
            if d is not None and d.kind == "class":
                return d
            if "." not in q:
                return None
            q = q.rsplit(".", 1)[0]
        return None

    def _self_call(self, d: Definition, call: CallSite, entry) -> str | None:  # noqa: ANN001
        if d.parent is None:
            return None
        if call.scope.startswith(d.parent + "."):
            return "local"
        cls = self._class_of_scope(entry, call.scope)
        if cls is None:
            return None
        owner = d.parent.rsplit(".", 1)[-1]
        if any(b.rsplit(".", 1)[-1] == owner for b in cls.bases):
            return "inherit"
        return None

    def match_call(self, d: Definition, call: CallSite) -> str | None:
        """How ``call`` may call ``d`` (``local``/``import``/``inherit``/``name``), or None."""
        name, _ = self.call_name(d)
        entry = self.files.get(call.path)
        if entry is None:
            return None
        if call.name != name and not any(i.alias == call.callee and i.name == name for i in entry.imports):
            return None
        fam = family_of(entry.language)
        if fam != family_of(self._language(d)):
            return None
        constructor = d.name in CONSTRUCTOR_NAMES
        module_level = d.parent is None or (constructor and "." not in d.parent[len(self._module_of(d)) + 1 :])
        if fam == "python":
            return self._match_python(d, name, call, entry, module_level)
        if fam == "ecmascript":
            return self._match_js(d, name, call, entry, module_level)
        if fam == "go":
            return self._match_go(d, name, call, entry)
        return None

    def _module_of(self, d: Definition) -> str:
        entry = self.files.get(d.path)
        if entry is not None:
            return entry.module
        fam = family_of(self._language(d))
        if fam == "python":
            return py_module_name(d.path)
        if fam == "ecmascript":
            return js_module_name(d.path)
        return posixpath.dirname(d.path)

    def _match_python(self, d: Definition, name: str, call: CallSite, entry, module_level: bool) -> str | None:  # noqa: ANN001
        callee = call.callee
        if "." not in callee:
            if not module_level:
                return _nested_call(d, call)
            binding = self._py_binding(entry, callee)
            if binding is not None:  # an import shadows a definition of the same name
                module, member = binding
                return "import" if member is not None and self._py_denotes(module, member, d, name) else None
            if call.path == d.path:
                return "local"
            for imp in entry.imports:
                if imp.name == "*" and self._py_denotes(self._py_absolute(entry, imp), name, d, name):
                    return "import"
            return None
        prefix = callee.rsplit(".", 1)[0]
        if prefix in ("self", "cls"):
            return self._self_call(d, call, entry) if d.kind == "method" else None
        if not prefix.startswith("<expr>"):
            binding = self._py_binding(entry, prefix)
            if binding is not None:
                module, member = binding
                if member is None:  # import m; m.f()
                    return "import" if module_level and self._py_denotes(module, name, d, name) else None
                owner = d.parent.rsplit(".", 1)[-1] if d.parent else None  # from m import C; C.f()
                return "import" if d.kind == "method" and owner == member else None
            head, _, rest = prefix.partition(".")
            outer = self._py_binding(entry, head) if rest else None
            if outer is not None and outer[1] is None:  # import a; a.b.f()
                return "import" if module_level and self._py_denotes(f"{outer[0]}.{rest}", name, d, name) else None
            return self._member_call(d, call, entry, prefix, module_level)
        return self._unique_method(d, module_level)

    def _member_call(self, d: Definition, call: CallSite, entry, prefix: str, module_level: bool) -> str | None:  # noqa: ANN001
        """``prefix.name(...)`` not bound by an import: a nested class in the same file
        (``local``), a receiver of known class (``typed``), else a unique method name (``name``)."""
        if call.path == d.path and d.parent is not None and d.parent.endswith("." + prefix):
            return "local"
        receiver = self._receiver_class(entry, call, prefix)
        if receiver is not None:
            if d.kind != "method" or d.parent is None:
                return None
            owner = d.parent.rsplit(".", 1)[-1]
            return "typed" if owner == receiver or owner in self._ancestors(receiver) else None
        return self._unique_method(d, module_level)

    def _unique_method(self, d: Definition, module_level: bool) -> str | None:
        """``name`` when ``d`` is a method whose name is unique enough to match any receiver."""
        return "name" if d.kind == "method" and not module_level and self._unique_name(d.name) else None

    def _receiver_class(self, entry, call: CallSite, prefix: str) -> str | None:  # noqa: ANN001
        """The class of a local receiver: ``x = Class(...)`` (JS: ``new Class()``) in the same
        scope, or a parameter annotated ``x: Class`` / ``Optional[Class]`` / ``Class | None``."""
        if "." in prefix or prefix in ("self", "cls", "this"):
            return None
        ctor = entry.local_types().get((call.scope, prefix))
        if ctor is not None:
            return ctor.rsplit(".", 1)[-1]
        d = entry.by_qualname().get(call.scope)
        for p in (d.params or ()) if d is not None else ():
            if p.name == prefix and p.annotation:
                return annotation_class(p.annotation)
        return None

    def _ancestors(self, class_name: str, depth: int = 3) -> set[str]:
        """Base-class names (last components) of classes named ``class_name``, ``depth`` levels up."""
        out: set[str] = set()
        frontier = {class_name}
        for _ in range(depth):
            nxt: set[str] = set()
            for name in frontier:
                for path in self._paths_with("def", name):
                    for d in self.files[path].symbols().definitions:
                        if d.kind == "class" and d.name == name:
                            nxt.update(b.rsplit(".", 1)[-1] for b in d.bases)
            nxt -= out
            out |= nxt
            frontier = nxt
            if not frontier:
                break
        return out

    def _match_js(self, d: Definition, name: str, call: CallSite, entry, module_level: bool) -> str | None:  # noqa: ANN001
        callee = call.callee
        if "." not in callee:
            if not module_level:
                return _nested_call(d, call)
            for imp in entry.imports:  # an import shadows a definition of the same name
                if imp.alias == callee:
                    same = self._js_module_is(self._js_resolve(entry.path, imp.module), d.path)
                    return "import" if same and imp.name in (name, "default") else None
            return "local" if call.path == d.path else None
        prefix = callee.rsplit(".", 1)[0]
        if prefix == "this":
            return self._self_call(d, call, entry) if d.kind == "method" else None
        if not prefix.startswith("<expr>"):
            for imp in entry.imports:
                if imp.alias != prefix:
                    continue
                same = self._js_module_is(self._js_resolve(entry.path, imp.module), d.path)
                if imp.name is None:
                    return "import" if same and module_level else None
                owner = d.parent.rsplit(".", 1)[-1] if d.parent else None
                return "import" if same and owner == imp.name else None
            return self._member_call(d, call, entry, prefix, module_level)
        return self._unique_method(d, module_level)

    def _match_go(self, d: Definition, name: str, call: CallSite, entry) -> str | None:  # noqa: ANN001
        callee = call.callee
        same_pkg = posixpath.dirname(call.path) == posixpath.dirname(d.path)
        if "." not in callee:
            if d.kind != "function" and d.kind != "class":
                return None
            if same_pkg:
                return "local"
            if any(imp.name == "*" and self._go_import_is(imp.module, d.path) for imp in entry.imports):
                return "import"
            return None
        prefix = callee.rsplit(".", 1)[0]
        for imp in entry.imports:
            if imp.alias == prefix and imp.name is None:
                return "import" if d.kind != "method" and self._go_import_is(imp.module, d.path) else None
        if d.kind == "method" and self._unique_name(d.name):
            return "name"
        return None

    # ------------------------------------------------------------- references
    def reference_aliases(self, d: Definition, entry) -> set[str]:  # noqa: ANN001
        """Local names under which ``entry``'s file may read module-level ``d`` (empty: none)."""
        if d.parent is not None:
            return set()
        if entry.path == d.path:
            return {d.name}
        fam = family_of(entry.language)
        if fam != family_of(self._language(d)):
            return set()
        out: set[str] = set()
        for imp in entry.imports:
            if fam == "python":
                module = self._py_absolute(entry, imp)
                if imp.name is None:
                    if self._py_module_is(module, d.path) or any(
                        self._target_is(t, d) for t in self._py_targets(module, d.name)
                    ):
                        out.add(d.name)  # module.NAME
                elif imp.name == "*":
                    if self._py_denotes(module, d.name, d, d.name):
                        out.add(d.name)
                elif self._py_denotes(module, imp.name, d, d.name):
                    out.add(imp.alias)
                elif self._py_binding(entry, imp.alias) == (f"{module}.{imp.name}" if module else imp.name, None) and (
                    self._py_module_is(f"{module}.{imp.name}" if module else imp.name, d.path)
                ):
                    out.add(d.name)  # from pkg import mod; mod.NAME
            elif fam == "ecmascript":
                if not self._js_module_is(self._js_resolve(entry.path, imp.module), d.path):
                    continue
                if imp.name is None:
                    out.add(d.name)
                elif imp.name == d.name:
                    out.add(imp.alias)
            elif fam == "go":
                if imp.name is None and self._go_import_is(imp.module, d.path):
                    out.add(d.name)
        if fam == "go" and posixpath.dirname(entry.path) == posixpath.dirname(d.path):
            out.add(d.name)
        return out
