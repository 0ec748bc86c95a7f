"""Go extraction: functions, methods (qualified by receiver type), types, constants, calls, imports.

Grammar facts (tree-sitter-go 0.25): ``function_declaration`` / ``method_declaration`` (with a
``receiver`` parameter list), ``type_spec``, ``const_spec`` / ``var_spec`` (several ``name``
fields), ``parameter_declaration`` (several names, one type), ``variadic_parameter_declaration``,
``call_expression`` with ``identifier`` or ``selector_expression`` functions, ``variadic_argument``
(``xs...``), ``import_spec`` (``name`` may be an alias, ``.`` or ``_``).

Qualified names use the package directory (``internal/store.Store.Get``); files at the
repository root use the package name. Exported = capitalized, as the Go spec defines it.
"""

from __future__ import annotations

import posixpath
import re

from tree_sitter import Node, Tree

from bot.codeindex._common import dotted_callee, enclosing_scopes, field_ids, in_order, scan_references, short, text
from bot.codeindex.model import CallSite, Definition, FileSymbols, Import, Param
from bot.core import treesitter

_new = tuple.__new__  # a record from a ready tuple, without the NamedTuple constructor's Python frame

QUERY = """
(function_declaration) @def
(method_declaration) @def
(source_file (type_declaration (type_spec) @type))
(source_file (const_declaration (const_spec) @const))
(source_file (var_declaration (var_spec) @var))
(call_expression) @call
(import_spec) @import
(package_clause (package_identifier) @package)
"""

DEFINITIONS_QUERY = "\n".join(line for line in QUERY.split("\n") if not line.endswith(("@call", "@import")))
"""The patterns of :data:`QUERY` that definitions are read from (:func:`go_definitions`): its lines
without the call and import patterns, so that a definition pattern added there is read here too."""

_IDENT = frozenset({"identifier", "field_identifier", "type_identifier"})
_VERSION = re.compile(r"v\d+\Z")
_STRING = frozenset({"interpreted_string_literal", "raw_string_literal"})
_NUMBER = frozenset({"int_literal", "float_literal", "imaginary_literal"})


def package_dir(path: str) -> str:
    """The directory of a Go file (its package), ``""`` at the root."""
    return posixpath.dirname(path)


def default_alias(import_path: str) -> str:
    """The name an import binds by default: the last path element, skipping a ``/vN`` suffix.

    (The package clause may differ; the common convention is assumed.)
    """
    parts = [p for p in import_path.split("/") if p]
    if len(parts) > 1 and _VERSION.match(parts[-1]):
        return parts[-2].replace("-", "_")
    return parts[-1].replace("-", "_") if parts else import_path


def _exported(name: str) -> bool:
    return bool(name) and name[0].isupper()


def _params(node) -> tuple[Param, ...]:  # noqa: ANN001
    out: list[Param] = []
    if node is None:
        return ()
    for c in node.named_children:
        if c.type == "parameter_declaration":
            names = c.children_by_field_name("name")
            if not names:
                out.append(Param("_", "positional", False))
            out.extend(Param(text(n), "positional", False) for n in names if n.type == "identifier")
        elif c.type == "variadic_parameter_declaration":
            name = c.child_by_field_name("name")
            out.append(Param(text(name) if name is not None else "_", "var_positional", False))
    return tuple(out)


def _receiver_type(node) -> str:  # noqa: ANN001
    recv = node.child_by_field_name("receiver")
    if recv is None:
        return ""
    for c in recv.named_children:
        if c.type == "parameter_declaration":
            t = c.child_by_field_name("type")
            raw = text(t).lstrip("*").strip()
            return raw.split("[", 1)[0]
    return ""


def go_definitions(path: str, source: bytes, tree: Tree | None = None) -> tuple[str, tuple[Definition, ...]]:
    """``(module, definitions)`` of Go ``source``: the same as :func:`extract_go`'s, read without
    its calls, imports and references (a query of only the definition patterns, and no walk for
    references: about a third of the work of a whole extraction)."""
    root = (tree or treesitter.parse("go", source)).root_node
    _, module, defs, _, _ = _definitions(path, definition_nodes(root))
    return module, tuple(defs)


_TOP_LEVEL = {"type_declaration": ("type_spec", "type"), "const_declaration": ("const_spec", "const"),
              "var_declaration": ("var_spec", "var"), "package_clause": ("package_identifier", "package")}
"""For each top-level declaration kind of :data:`DEFINITIONS_QUERY`: the child type it captures, and the capture."""


def definition_nodes(root: Node) -> dict[str, list[Node]]:
    """The captures of :data:`DEFINITIONS_QUERY` over ``root`` (a ``source_file``), each in document
    order. In an error-free tree functions and methods are declared at the top level only, and the
    other patterns name top-level declarations, so only the root's children and their children are
    read; the query visits every node of the file (about 19-29 ms for the base versions of grpc-go
    7354d9c8's 9 or d7025c51's 4 changed files; RESULTS.md, "Ninth session, execution_paths and
    anti_patterns CPU"). A tree with errors, where error recovery may put a declaration anywhere,
    is queried."""
    if root.has_error or root.type != "source_file":
        caps = treesitter.captures(treesitter.query("go", DEFINITIONS_QUERY), root)
        return {k: in_order(v) for k, v in caps.items()}
    out: dict[str, list[Node]] = {}
    for node in root.named_children:
        kind = node.type
        if kind in ("function_declaration", "method_declaration"):
            out.setdefault("def", []).append(node)
            continue
        wanted = _TOP_LEVEL.get(kind)
        if wanted is not None:
            child_type, capture = wanted
            found = [c for c in node.named_children if c.type == child_type]
            if found:
                out.setdefault(capture, []).extend(found)
    return out


def _definitions(path: str, caps: dict) -> tuple[str, str, list[Definition], list[tuple[int, int, str]], set[int]]:
    """``(package name, module, definitions by line, byte spans of functions and methods, starts of
    defined names)`` from the ``package``, ``def``, ``type``, ``const`` and ``var`` captures."""
    packages = caps.get("package", ())
    package = text(packages[0]) if packages else ""
    module = package_dir(path) or package or "main"
    skip: set[int] = set()
    defs: list[Definition] = []
    spans: list[tuple[int, int, str]] = []
    for node in in_order(caps.get("def", ())):
        name_node = node.child_by_field_name("name")
        if name_node is None:
            continue
        name = text(name_node)
        skip.add(name_node.start_byte)
        parent = None
        if node.type == "method_declaration":
            recv = _receiver_type(node)
            parent = f"{module}.{recv}" if recv else None
            kind = "method"
        else:
            kind = "function"
        qual = f"{parent or module}.{name}"
        pnode = node.child_by_field_name("parameters")
        public = _exported(name) and (not parent or _exported(parent.rsplit(".", 1)[1]))
        defs.append(
            Definition(
                path, name, qual, kind, node.start_point[0] + 1, node.end_point[0] + 1,
                _params(pnode), short(pnode.text if pnode is not None else b""), public, parent, (), (), None,
                _exported(name),
            )
        )
        spans.append((node.start_byte, node.end_byte, qual))
    for node in in_order(caps.get("type", ())):
        name_node = node.child_by_field_name("name")
        if name_node is None:
            continue
        name = text(name_node)
        skip.add(name_node.start_byte)
        defs.append(
            Definition(
                path, name, f"{module}.{name}", "class", node.start_point[0] + 1, node.end_point[0] + 1,
                None, "", _exported(name), None, (), (), None, _exported(name),
            )
        )
    for cap, kind in (("const", "constant"), ("var", "variable")):
        for node in in_order(caps.get(cap, ())):
            value = node.child_by_field_name("value")
            first = value.named_children[0] if value is not None and value.named_child_count else None
            ft = first.type if first is not None else ""
            value_kind = "string" if ft in _STRING else "number" if ft in _NUMBER else "other"
            for name_node in node.children_by_field_name("name"):
                if name_node.type != "identifier":
                    continue
                name = text(name_node)
                skip.add(name_node.start_byte)
                defs.append(
                    Definition(
                        path, name, f"{module}.{name}", kind, node.start_point[0] + 1, node.end_point[0] + 1,
                        None, "", _exported(name), None, (), (), value_kind, _exported(name),
                    )
                )
    defs.sort(key=lambda d: d.line)
    return package, module, defs, spans, skip


def extract_go(path: str, source: bytes, tree: Tree | None = None) -> FileSymbols:
    """Extract :class:`FileSymbols` from Go ``source``. Never raises on syntax errors."""
    root = (tree or treesitter.parse("go", source)).root_node
    caps = treesitter.captures(treesitter.query("go", QUERY), root)
    package, module, defs, spans, skip = _definitions(path, caps)

    imports: list[Import] = []
    for node in in_order(caps.get("import", ())):
        pnode = node.child_by_field_name("path")
        if pnode is None:
            continue
        ipath = text(pnode).strip('"`')
        alias_node = node.child_by_field_name("name")
        line = node.start_point[0] + 1
        if alias_node is None:
            imports.append(Import(ipath, None, default_alias(ipath), line))
        elif alias_node.type == "dot":
            imports.append(Import(ipath, "*", "", line))
        elif alias_node.type == "blank_identifier":
            imports.append(Import(ipath, None, "", line))
        else:
            imports.append(Import(ipath, None, text(alias_node), line))

    calls_raw: list[tuple[int, int, str, str, int, bool]] = []
    f_function, f_field, f_arguments = field_ids("go", "function", "field", "arguments")
    for node in in_order(caps.get("call", ())):
        fn = node.child_by_field_id(f_function)
        if fn is None:
            continue
        ft = fn.type
        if ft == "identifier":
            name = callee = source[fn.start_byte : fn.end_byte].decode("utf-8", "replace")
            anchor = fn
        elif ft == "selector_expression":
            field = fn.child_by_field_id(f_field)
            if field is None:
                continue
            name = source[field.start_byte : field.end_byte].decode("utf-8", "replace")
            callee = dotted_callee(fn, name)
            anchor = field
        else:
            continue
        args = node.child_by_field_id(f_arguments)
        positional = 0
        splat = False
        if args is not None and args.named_child_count:
            for a in args.named_children:
                if a.type == "variadic_argument":
                    splat = True
                elif a.type != "comment":
                    positional += 1
        calls_raw.append((node.start_byte, anchor.start_point[0] + 1, callee, name, positional, splat))
    spans.sort()
    scopes = enclosing_scopes(spans, (c[0] for c in calls_raw), module)
    calls = tuple([_new(CallSite, (path, c[1], c[2], c[3], s, c[4], (), c[5])) for c, s in zip(calls_raw, scopes)])

    refs = scan_references(
        root,
        source,
        names=(),
        module_aliases=(i.alias for i in imports if i.name is None),
        identifier_types=_IDENT,
        skip_starts=skip,
    )
    return FileSymbols(
        path=path,
        language="go",
        module=module,
        definitions=tuple(defs),
        calls=calls,
        imports=tuple(imports),
        references=refs,
        exports=None,
        has_main=package == "main",
        errors=root.has_error,
        lines=source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0),
    )
