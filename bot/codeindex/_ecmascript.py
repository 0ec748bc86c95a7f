"""JavaScript / TypeScript / TSX extraction: definitions, parameters, calls, imports, references.

Grammar facts (tree-sitter-javascript 0.25, tree-sitter-typescript 0.23): functions are
``function_declaration`` / ``generator_function_declaration`` / ``method_definition``, a
``variable_declarator`` whose value is an ``arrow_function`` / ``function_expression``, or an
assignment of one to a member (``exports.f = function``, ``C.prototype.m = function``,
``res.send = function send``: named by the property); TS
parameters are ``required_parameter`` / ``optional_parameter`` with a ``pattern`` field; calls are
``call_expression`` and ``new_expression``; ES imports are ``import_statement``, CommonJS ones a
``require("x")`` call in a ``variable_declarator``.
"""

from __future__ import annotations

from functools import lru_cache

from tree_sitter import Tree

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

_COMMON = """
(function_declaration) @def
(generator_function_declaration) @def
(class_declaration) @def
(method_definition) @def
(variable_declarator value: [(arrow_function) (function_expression)]) @def
(expression_statement (assignment_expression left: (member_expression) right: [(arrow_function) (function_expression)]) @def)
(call_expression) @call
(new_expression) @call
(import_statement) @import
(program (lexical_declaration (variable_declarator) @const))
(program (variable_declaration (variable_declarator) @const))
(program (export_statement declaration: (lexical_declaration (variable_declarator) @const)))
(export_clause (export_specifier) @export)
(program (export_statement value: (identifier) @export))
(variable_declarator name: (identifier) value: (new_expression)) @local
"""
_DEFINITIONS = "\n".join(line for line in _COMMON.split("\n") if not line.endswith(("@call", "@import", "@local")))
"""The patterns of :data:`_COMMON` that definitions are read from (:func:`ecmascript_definitions`): its
lines without the call, import and local patterns, so that a definition pattern added there is read here too."""
_TS_EXTRA = """
(abstract_class_declaration) @def
(interface_declaration) @def
(type_alias_declaration) @def
(enum_declaration) @def
"""
_CLASS_TYPES = frozenset(
    {"class_declaration", "abstract_class_declaration", "interface_declaration", "type_alias_declaration", "enum_declaration"}
)
_FUNC_VALUES = frozenset({"arrow_function", "function_expression", "generator_function"})
_IDENT = frozenset({"identifier", "property_identifier", "shorthand_property_identifier"})
_SKIP_PARENTS = frozenset({"import_specifier", "namespace_import", "import_clause", "formal_parameters"})
_LEADING = frozenset({"assignment_pattern", "required_parameter", "optional_parameter", "pair", "variable_declarator", "assignment_expression"})
_STRING = frozenset({"string", "template_string"})
_EXTENSIONS = (".d.ts", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


@lru_cache(maxsize=8192)
def module_name(path: str) -> str:
    """The module id of a JS/TS file: its path without the extension (``src/a/index.ts`` -> ``src/a/index``).
    Remembered (call resolution asks it for the same paths again and again)."""
    for ext in _EXTENSIONS:
        if path.endswith(ext):
            return path[: -len(ext)]
    return path


def _params(node) -> tuple[Param, ...]:  # noqa: ANN001 - tree_sitter.Node
    out: list[Param] = []
    if node is None:
        return ()
    if node.type == "identifier":  # x => ...
        return (Param(text(node), "positional", False),)
    for c in node.named_children:
        t = c.type
        default = False
        ann = ""
        if t in ("required_parameter", "optional_parameter"):
            pattern = c.child_by_field_name("pattern")
            default = t == "optional_parameter" or c.child_by_field_name("value") is not None
            tnode = c.child_by_field_name("type")
            if tnode is not None and tnode.named_child_count:
                ann = short(tnode.named_children[0].text, 80)
            if pattern is None or pattern.type == "this":
                continue
            c, t = pattern, pattern.type
        if t == "assignment_pattern":
            out.append(Param(short(c.child_by_field_name("left").text, 60), "positional", True, ann))
        elif t == "rest_pattern":
            out.append(Param(text(c).lstrip(".").strip(), "var_positional", False, ann))
        elif t in ("identifier", "object_pattern", "array_pattern"):
            out.append(Param(short(c.text, 60), "positional", default, ann))
    return tuple(out)


def _def_name(node) -> str:  # noqa: ANN001
    name = node.child_by_field_name("name")
    return text(name) if name is not None else ""


def _bases(node) -> tuple[str, ...]:  # noqa: ANN001
    out: list[str] = []
    for h in node.named_children:
        if h.type != "class_heritage":
            continue
        for c in h.named_children:
            for b in c.named_children if c.type.endswith("_clause") else (c,):
                if b.type in ("identifier", "type_identifier", "member_expression", "nested_type_identifier"):
                    out.append(text(b))
    return tuple(out)


def _exported(node) -> bool:  # noqa: ANN001
    parent = node.parent
    if parent is not None and parent.type in ("lexical_declaration", "variable_declaration"):
        parent = parent.parent
    return parent is not None and parent.type == "export_statement"


def _string_value(node) -> str:  # noqa: ANN001
    for c in node.named_children:
        if c.type == "string_fragment":
            return text(c)
    return text(node).strip("'\"`")


def _import(node) -> list[Import]:  # noqa: ANN001
    source = node.child_by_field_name("source")
    if source is None:
        return []
    mod = _string_value(source)
    line = node.start_point[0] + 1
    out: list[Import] = []
    for clause in node.named_children:
        if clause.type != "import_clause":
            continue
        for c in clause.named_children:
            if c.type == "identifier":
                out.append(Import(mod, "default", text(c), line))
            elif c.type == "namespace_import":
                ident = c.named_children[0] if c.named_child_count else None
                out.append(Import(mod, None, text(ident), line))
            elif c.type == "named_imports":
                for spec in c.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = text(spec.child_by_field_name("name"))
                    alias = spec.child_by_field_name("alias")
                    out.append(Import(mod, name, text(alias) if alias is not None else name, line))
    if not out:
        out.append(Import(mod, None, "", line))
    return out


def _require(call, line: int) -> list[Import]:  # noqa: ANN001
    """``const x = require("m")`` / ``const {a, b: c} = require("m")`` -> imports."""
    args = call.child_by_field_name("arguments")
    if args is None or args.named_child_count != 1 or args.named_children[0].type != "string":
        return []
    mod = _string_value(args.named_children[0])
    parent = call.parent
    if parent is None or parent.type != "variable_declarator":
        return [Import(mod, None, "", line)]
    target = parent.child_by_field_name("name")
    if target is None:
        return []
    if target.type == "identifier":
        return [Import(mod, None, text(target), line)]
    out: list[Import] = []
    if target.type == "object_pattern":
        for c in target.named_children:
            if c.type == "shorthand_property_identifier_pattern":
                out.append(Import(mod, text(c), text(c), line))
            elif c.type == "pair_pattern":
                key, value = c.child_by_field_name("key"), c.child_by_field_name("value")
                if key is not None and value is not None and value.type == "identifier":
                    out.append(Import(mod, text(key), text(value), line))
    return out


def ecmascript_definitions(language: str, path: str, source: bytes, tree: Tree | None = None) -> tuple[str, tuple[Definition, ...]]:
    """``(module, definitions)`` of JS/TS/TSX ``source``: the same as :func:`extract_ecmascript`'s,
    read without its calls, imports and references (a query of only the definition and export
    patterns, and no walk for references)."""
    module = module_name(path)
    pattern = _DEFINITIONS + (_TS_EXTRA if language in ("typescript", "tsx") else "")
    root = (tree or treesitter.parse(language, source)).root_node
    defs, _, _, _ = _definitions(path, module, treesitter.captures(treesitter.query(language, pattern), root))
    return module, tuple(defs)


def _definitions(path: str, module: str, caps: dict) -> tuple[list[Definition], list[tuple[int, int, str]], set[int], set[str]]:
    """``(definitions, byte spans of functions and classes, starts of defined names, exported
    names)`` from the ``export``, ``def`` and ``const`` captures."""
    skip: set[int] = set()
    export_names: set[str] = set()
    for node in caps.get("export", ()):
        if node.type == "identifier":
            export_names.add(text(node))
        else:
            export_names.add(text(node.child_by_field_name("name")))

    defs: list[Definition] = []
    spans: list[tuple[int, int, str]] = []
    stack: list[tuple[int, str, str, bool]] = []
    for node in in_order(caps.get("def", ())):
        start, end = node.start_byte, node.end_byte
        while stack and stack[-1][0] <= start:
            stack.pop()
        parent = stack[-1] if stack else None
        t = node.type
        owner: str | None = None  # ``X.prototype.m = function`` defines a method of X
        assigned_export = False
        if t == "assignment_expression":  # obj.name = function () {...}
            left = node.child_by_field_name("left")
            name_node = left.child_by_field_name("property")
            target = text(left.child_by_field_name("object"))
            assigned_export = target in ("exports", "module.exports")
            if target.endswith(".prototype"):
                owner = target[: -len(".prototype")].rsplit(".", 1)[-1]
        else:
            name_node = node.child_by_field_name("name")
        if name_node is None or name_node.type not in ("identifier", "type_identifier", "property_identifier", "private_property_identifier"):
            continue
        name = text(name_node)
        skip.add(name_node.start_byte)
        if owner:
            parent = (end, f"{module}.{owner}", "class", True)
        qual = f"{parent[1] if parent else module}.{name}"
        if t in _CLASS_TYPES:
            kind = "class"
            params = None
            signature = ""
            bases = _bases(node)
        else:
            kind = "method" if t == "method_definition" or (parent is not None and parent[2] == "class") else "function"
            bases = ()
            fn = (
                node.child_by_field_name("value") if t == "variable_declarator"
                else node.child_by_field_name("right") if t == "assignment_expression"
                else node
            )
            pnode = fn.child_by_field_name("parameters") if fn is not None else None
            if pnode is None and fn is not None:
                pnode = fn.child_by_field_name("parameter")
            params = _params(pnode)
            signature = short(pnode.text if pnode is not None else b"")
        exported = assigned_export or (parent is None and (_exported(node) or name in export_names))
        public = (parent[3] if parent else True) and not name.startswith(("_", "#"))
        defs.append(
            Definition(
                path, name, qual, kind, node.start_point[0] + 1, node.end_point[0] + 1,
                params, signature, public, parent[1] if parent else None, (), bases, None, exported,
            )
        )
        spans.append((start, end, qual))
        stack.append((end, qual, kind, public))

    for node in in_order(caps.get("const", ())):
        name_node = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name_node is None or name_node.type != "identifier":
            continue
        if value is not None and value.type in _FUNC_VALUES:
            continue
        name = text(name_node)
        skip.add(name_node.start_byte)
        vt = value.type if value is not None else ""
        value_kind = "string" if vt in _STRING else "number" if vt == "number" else "other"
        decl = node.parent
        is_const = decl is not None and decl.type == "lexical_declaration" and (decl.child(0) is not None and decl.child(0).type == "const")
        kind = "constant" if (is_const and (CONSTANT_NAME.match(name) or value_kind != "other")) or CONSTANT_NAME.match(name) else "variable"
        defs.append(
            Definition(
                path, name, f"{module}.{name}", kind, node.start_point[0] + 1, node.end_point[0] + 1,
                None, "", is_public_name(name), None, (), (), value_kind, _exported(node) or name in export_names,
            )
        )
    return defs, spans, skip, export_names


def extract_ecmascript(language: str, path: str, source: bytes, tree: Tree | None = None) -> FileSymbols:
    """Extract :class:`FileSymbols` from JS (``javascript``), TS (``typescript``) or TSX (``tsx``)."""
    module = module_name(path)
    pattern = _COMMON + (_TS_EXTRA if language in ("typescript", "tsx") else "")
    root = (tree or treesitter.parse(language, source)).root_node
    caps = treesitter.captures(treesitter.query(language, pattern), root)
    defs, spans, skip, export_names = _definitions(path, module, caps)

    imports: list[Import] = []
    for node in in_order(caps.get("import", ())):
        imports.extend(_import(node))

    calls_raw: list[tuple[int, int, str, str, int, bool]] = []
    f_function, f_constructor, f_property, f_arguments = field_ids(language, "function", "constructor", "property", "arguments")
    for node in in_order(caps.get("call", ())):
        fn = node.child_by_field_id(f_function if node.type == "call_expression" else f_constructor)
        if fn is None:
            continue
        ft = fn.type
        if ft == "identifier":
            name = source[fn.start_byte : fn.end_byte].decode("utf-8", "replace")
            callee = name
            anchor = fn
        elif ft == "member_expression":
            prop = fn.child_by_field_id(f_property)
            if prop is None:
                continue
            name = source[prop.start_byte : prop.end_byte].decode("utf-8", "replace")
            callee = dotted_callee(fn, name)
            anchor = prop
        else:
            continue
        line = anchor.start_point[0] + 1
        if name == "require" and ft == "identifier":
            imports.extend(_require(node, line))
            continue
        args = node.child_by_field_id(f_arguments)
        positional = 0
        splat = False
        if args is not None:
            if args.type == "template_string":
                positional = 1
            elif args.named_child_count:
                for a in args.named_children:
                    if a.type == "spread_element":
                        splat = True
                    elif a.type != "comment":
                        positional += 1
        calls_raw.append((node.start_byte, line, callee, name, positional, splat))
    scopes = enclosing_scopes(spans, (c[0] for c in calls_raw), module)
    calls = tuple([_new(CallSite, (path, c[1], c[2], c[3], s, c[4], (), c[5])) for c, s in zip(calls_raw, scopes)])

    # ``const x = new Class(...)``: remembered to resolve ``x.method()`` later.
    local_raw: list[tuple[int, str, str]] = []
    for node in in_order(caps.get("local", ())):
        ctor = node.child_by_field_name("value").child_by_field_name("constructor")
        if ctor is None or ctor.type not in ("identifier", "member_expression"):
            continue
        local_raw.append((node.start_byte, text(node.child_by_field_name("name")), dotted_callee(ctor, "")))
    local_scopes = enclosing_scopes(spans, (x[0] for x in local_raw), module)
    locals_ = tuple(
        (scope, var, ctor) for (_, var, ctor), scope in zip(local_raw, local_scopes) if not ctor.startswith("<expr>")
    )

    refs = scan_references(
        root,
        source,
        names=(i.alias for i in imports if i.name is not None),
        module_aliases=(i.alias for i in imports if i.name is None),
        identifier_types=_IDENT,
        skip_starts=skip,
        skip_parent_types=_SKIP_PARENTS,
        skip_leading_in=_LEADING,
    )
    return FileSymbols(
        path=path,
        language=language,
        module=module,
        definitions=tuple(defs),
        calls=calls,
        imports=tuple(imports),
        references=refs,
        exports=tuple(sorted(export_names)) if export_names else None,
        has_main=False,
        errors=root.has_error,
        lines=source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0),
        locals=locals_,
    )
