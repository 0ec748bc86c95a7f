"""Python extraction: definitions with signatures, call sites, imports, constant references.

One tree-sitter query (run in C) collects the interesting nodes; Python only reads fields of
those nodes. Grammar: tree-sitter-python 0.25 node types (``function_definition``,
``class_definition``, ``call``, ``import_from_statement``, ``assignment``...).
"""

from __future__ import annotations

from functools import lru_cache

from tree_sitter import Node, Tree

from bot.codeindex._common import (
    CONSTANT_NAME,
    dotted_callee,
    enclosing_scopes,
    field_ids,
    in_order,
    is_public_name,
    scan_references,
    short,
    text,
)
from bot.codeindex.model import CallSite, Definition, FileSymbols, Import, Param
from bot.core import treesitter

_new = tuple.__new__  # a record from a ready tuple, without the NamedTuple constructor's Python frame

QUERY = """
(function_definition) @def
(class_definition) @def
(call) @call
(import_statement) @import
(import_from_statement) @import
(module (expression_statement (assignment) @assign))
(module (if_statement condition: (comparison_operator) @main))
(assignment left: (identifier) right: (call function: [(identifier) (attribute)])) @local
"""

DEFINITIONS_QUERY = """
(function_definition) @def
(class_definition) @def
(module (expression_statement (assignment) @assign))
"""
"""The patterns of :data:`QUERY` that definitions are read from (:func:`python_definitions`)."""

_IDENT = frozenset({"identifier"})
_IMPORT_PARENTS = frozenset({"dotted_name", "aliased_import", "parameters"})
_LEADING = frozenset({"keyword_argument", "default_parameter", "typed_default_parameter", "typed_parameter", "assignment"})
_STRING = frozenset({"string", "concatenated_string"})
_NUMBER = frozenset({"integer", "float"})


@lru_cache(maxsize=8192)
def module_name(path: str) -> str:
    """Dotted module name for a path: ``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``.
    Remembered (call resolution asks it once per import tested: 7,231 times in pydantic
    98a08d3e's review, for 116 paths)."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi")) else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or "__init__"


def _params(node) -> tuple[Param, ...]:  # noqa: ANN001 - tree_sitter.Node
    out: list[Param] = []
    state = "positional"
    for c in node.named_children:
        t = c.type
        if t == "identifier":
            out.append(Param(text(c), state, False))
        elif t == "default_parameter":
            out.append(Param(text(c.child_by_field_name("name")), state, True))
        elif t == "typed_default_parameter":
            ann = short(c.child_by_field_name("type").text, 80) if c.child_by_field_name("type") else ""
            out.append(Param(text(c.child_by_field_name("name")), state, True, ann))
        elif t == "typed_parameter":
            inner = c.named_children[0] if c.named_child_count else None
            it = inner.type if inner is not None else ""
            tnode = c.child_by_field_name("type")
            ann = short(tnode.text, 80) if tnode is not None else ""
            if it == "list_splat_pattern":
                out.append(Param(text(inner).lstrip("*"), "var_positional", False, ann))
                state = "keyword_only"
            elif it == "dictionary_splat_pattern":
                out.append(Param(text(inner).lstrip("*"), "var_keyword", False, ann))
            else:
                out.append(Param(text(inner), state, False, ann))
        elif t == "list_splat_pattern":
            out.append(Param(text(c).lstrip("*"), "var_positional", False))
            state = "keyword_only"
        elif t == "dictionary_splat_pattern":
            out.append(Param(text(c).lstrip("*"), "var_keyword", False))
        elif t == "keyword_separator":
            state = "keyword_only"
        elif t == "positional_separator":
            out = [p._replace(kind="positional_only") if p.kind == "positional" else p for p in out]
        elif t == "tuple_pattern":
            out.append(Param(text(c), state, False))
    return tuple(out)


def _imports(nodes, module: str) -> list[Import]:  # noqa: ANN001
    out: list[Import] = []
    for node in nodes:
        line = node.start_point[0] + 1
        if node.type == "import_statement":
            for c in node.children_by_field_name("name"):
                if c.type == "aliased_import":
                    name = text(c.child_by_field_name("name"))
                    out.append(Import(name, None, text(c.child_by_field_name("alias")), line, 0))
                else:
                    name = text(c)
                    out.append(Import(name, None, name, line, 0))
            continue
        mod_node = node.child_by_field_name("module_name")
        level = 0
        mod = ""
        if mod_node is not None and mod_node.type == "relative_import":
            for c in mod_node.children:
                if c.type == "import_prefix":
                    level = len(text(c).strip())
                elif c.type == "dotted_name":
                    mod = text(c)
        else:
            mod = text(mod_node)
        for c in node.named_children:
            if c.type == "wildcard_import":
                out.append(Import(mod, "*", "", line, level))
        for c in node.children_by_field_name("name"):
            if c.type == "aliased_import":
                name = text(c.child_by_field_name("name"))
                out.append(Import(mod, name, text(c.child_by_field_name("alias")), line, level))
            else:
                name = text(c)
                out.append(Import(mod, name, name, line, level))
    return out


def _string_list(node) -> tuple[str, ...] | None:  # noqa: ANN001
    if node is None or node.type not in ("list", "tuple"):
        return None
    names: list[str] = []
    for c in node.named_children:
        if c.type == "string":
            names.extend(text(s) for s in c.named_children if s.type == "string_content")
    return tuple(names)


def extract_python(path: str, source: bytes, tree: Tree | None = None) -> FileSymbols:
    """Extract :class:`FileSymbols` from Python ``source``. Never raises on syntax errors."""
    module = module_name(path)
    root = (tree or treesitter.parse("python", source)).root_node
    caps = treesitter.captures(treesitter.query("python", QUERY), root)
    skip: set[int] = set()
    defs, spans, exports = _definitions(path, module, caps, skip)

    # Calls, with the innermost enclosing definition.
    calls_raw: list[tuple[int, int, str, str, int, tuple[str, ...], bool]] = []
    f_function, f_attribute, f_arguments, f_name = field_ids("python", "function", "attribute", "arguments", "name")
    for node in in_order(caps.get("call", ())):
        fn = node.child_by_field_id(f_function)
        if fn is None:
            continue
        ft = fn.type
        if ft == "identifier":
            name = source[fn.start_byte : fn.end_byte].decode("utf-8", "replace")
            callee = name
            anchor = fn
        elif ft == "attribute":
            attr = fn.child_by_field_id(f_attribute)
            if attr is None:
                continue
            name = source[attr.start_byte : attr.end_byte].decode("utf-8", "replace")
            callee = dotted_callee(fn, name)
            anchor = attr
        else:
            continue
        args = node.child_by_field_id(f_arguments)
        positional = 0
        keywords: list[str] = []
        splat = False
        if args is not None:
            if args.type == "generator_expression":
                positional = 1
            elif args.named_child_count:
                for a in args.named_children:
                    at = a.type
                    if at == "keyword_argument":
                        keywords.append(text(a.child_by_field_id(f_name)))
                    elif at in ("list_splat", "dictionary_splat"):
                        splat = True
                    elif at != "comment":
                        positional += 1
        calls_raw.append((node.start_byte, anchor.start_point[0] + 1, callee, name, positional, tuple(keywords), splat))
    scopes = enclosing_scopes(spans, (c[0] for c in calls_raw), module)
    calls = tuple([_new(CallSite, (path, c[1], c[2], c[3], s, c[4], c[5], c[6])) for c, s in zip(calls_raw, scopes)])

    # ``var = Class(...)``: remembered to resolve ``var.method()`` later.
    local_raw: list[tuple[int, str, str]] = []
    for node in in_order(caps.get("local", ())):
        right = node.child_by_field_name("right")
        fn = right.child_by_field_name("function") if right is not None else None
        ctor = fn.text if fn is not None else None
        if not ctor or not ctor.rsplit(b".", 1)[-1][:1].isupper() or len(ctor) > 120:
            continue
        local_raw.append((node.start_byte, text(node.child_by_field_name("left")), dotted_callee(fn, "")))
    local_scopes = enclosing_scopes(spans, (x[0] for x in local_raw), module)
    locals_ = tuple(
        (scope, var, ctor) for (_, var, ctor), scope in zip(local_raw, local_scopes) if not ctor.startswith("<expr>")
    )

    import_nodes = in_order(caps.get("import", ()))
    imports = _imports(import_nodes, module)
    has_main = any(b"__main__" in (n.text or b"") and b"__name__" in (n.text or b"") for n in caps.get("main", ()))

    refs = scan_references(
        root,
        source,
        names=(i.alias for i in imports if i.name not in (None, "*")),
        module_aliases=(i.alias for i in imports if i.name is None),
        identifier_types=_IDENT,
        skip_starts=skip,
        skip_parent_types=_IMPORT_PARENTS,
        skip_leading_in=_LEADING,
    )
    return FileSymbols(
        path=path,
        language="python",
        module=module,
        definitions=tuple(defs),
        calls=calls,
        imports=tuple(imports),
        references=refs,
        exports=exports,
        has_main=has_main,
        errors=root.has_error,
        lines=source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0),
        locals=locals_,
    )


def python_definitions(path: str, source: bytes, tree: Tree | None = None) -> tuple[str, tuple[Definition, ...]]:
    """``(module, definitions)`` of Python ``source``: the same as :func:`extract_python`'s, read
    without its calls, imports and references (the nodes of :data:`DEFINITIONS_QUERY`, found by
    :func:`definition_nodes`)."""
    module = module_name(path)
    root = (tree or treesitter.parse("python", source)).root_node
    defs, _, _ = _definitions(path, module, definition_nodes(root, source), set())
    return module, tuple(defs)


_BLOCK_HOLDERS = frozenset({
    "module", "block", "function_definition", "class_definition", "decorated_definition", "if_statement",
    "elif_clause", "else_clause", "for_statement", "while_statement", "try_statement", "except_clause",
    "except_group_clause", "finally_clause", "with_statement", "match_statement", "case_clause",
})
"""The node types under which a statement can stand in an error-free tree of tree-sitter-python
0.25 (the module, blocks, compound statements and their clauses; a statement's other children
are expressions, parameters and the like, which hold no definition)."""

_DEF_TYPES = frozenset({"function_definition", "class_definition"})


def definition_nodes(root: Node, source: bytes | None = None) -> dict[str, list[Node]]:
    """The ``def`` and ``assign`` captures of :data:`DEFINITIONS_QUERY` over ``root`` (a module's
    root node), in document order. An error-free tree is walked through its statements only
    (:data:`_BLOCK_HOLDERS`), and, given ``source`` (the bytes ``root`` was parsed from), not into
    a statement whose text holds neither ``def`` nor ``class`` (it can hold no definition: each
    starts with one of those keywords). The query visits every node of the file (in C), which
    cost 60-110 ms on the base versions of pydantic 98a08d3e's 116 changed files (RESULTS.md,
    "Ninth session, execution_paths and anti_patterns CPU"). A tree with errors, where error
    recovery may put a definition anywhere, is queried."""
    if root.has_error or root.type != "module":
        caps = treesitter.captures(treesitter.query("python", DEFINITIONS_QUERY), root)
        return {"def": in_order(caps.get("def", ())), "assign": in_order(caps.get("assign", ()))}
    assigns = [c for stmt in root.named_children if stmt.type == "expression_statement"
               for c in stmt.named_children if c.type == "assignment"]
    defs: list[Node] = []
    stack = [root]
    while stack:  # depth first, each node before its children: document order
        node = stack.pop()
        kind = node.type
        if kind in _DEF_TYPES:
            defs.append(node)
        elif source is not None and kind != "module":
            start, end = node.start_byte, node.end_byte
            if source.find(b"def", start, end) < 0 and source.find(b"class", start, end) < 0:
                continue
        stack += reversed([c for c in node.named_children if c.type in _BLOCK_HOLDERS])
    return {"def": defs, "assign": assigns}


def _definitions(path: str, module: str, caps: dict, skip: set[int]) -> tuple[
        list[Definition], list[tuple[int, int, str]], tuple[str, ...] | None]:
    """Definitions (functions and classes nested by byte span, then module-level assignments), the
    byte spans of functions and classes, and ``__all__``, from the ``def`` and ``assign`` captures;
    adds the start of each defined name to ``skip`` (not a reference)."""
    # Definitions: functions and classes, nested by byte span.
    defs: list[Definition] = []
    spans: list[tuple[int, int, str]] = []
    stack: list[tuple[int, str, str, bool]] = []  # (end_byte, qualname, kind, public)
    for node in in_order(caps.get("def", ())):
        start, end = node.start_byte, node.end_byte
        while stack and stack[-1][0] <= start:
            stack.pop()
        parent = stack[-1] if stack else None
        name_node = node.child_by_field_name("name")
        name = text(name_node)
        if name_node is not None:
            skip.add(name_node.start_byte)
        qual = f"{parent[1] if parent else module}.{name}"
        public = is_public_name(name) and (parent[3] if parent else True)
        decorators: tuple[str, ...] = ()
        outer = node.parent
        if outer is not None and outer.type == "decorated_definition":
            decorators = tuple(short(d.text, 120).lstrip("@").strip() for d in outer.children if d.type == "decorator")
        if node.type == "class_definition":
            kind = "class"
            sup = node.child_by_field_name("superclasses")
            bases = tuple(
                text(b) for b in (sup.named_children if sup is not None else ()) if b.type in ("identifier", "attribute")
            )
            params = None
            signature = ""
        else:
            kind = "method" if parent is not None and parent[2] == "class" else "function"
            bases = ()
            pnode = node.child_by_field_name("parameters")
            params = _params(pnode) if pnode is not None else ()
            signature = short(pnode.text if pnode is not None else b"")
        defs.append(
            Definition(
                path, name, qual, kind, node.start_point[0] + 1, node.end_point[0] + 1,
                params, signature, public, parent[1] if parent else None, decorators, bases, None, False,
            )
        )
        spans.append((start, end, qual))
        stack.append((end, qual, kind, public))

    # Module-level assignments: constants and variables; ``__all__``.
    exports: tuple[str, ...] | None = None
    for node in in_order(caps.get("assign", ())):
        left = node.child_by_field_name("left")
        if left is None or left.type != "identifier":
            continue
        name = text(left)
        right = node.child_by_field_name("right")
        if name == "__all__":
            exports = _string_list(right)
            continue
        skip.add(left.start_byte)
        rt = right.type if right is not None else ""
        value_kind = "string" if rt in _STRING else "number" if rt in _NUMBER else "other"
        kind = "constant" if (CONSTANT_NAME.match(name) or value_kind == "string") else "variable"
        defs.append(
            Definition(
                path, name, f"{module}.{name}", kind, node.start_point[0] + 1, node.end_point[0] + 1,
                None, "", is_public_name(name), None, (), (), value_kind, False,
            )
        )
    if exports is not None:
        listed = set(exports)
        defs = [d._replace(exported=True) if d.parent is None and d.name in listed else d for d in defs]
    return defs, spans, exports
