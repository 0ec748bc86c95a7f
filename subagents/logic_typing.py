"""Whether two revisions of a Python file differ only in what a type checker reads (annotations,
``if TYPE_CHECKING:`` blocks, typing imports, ``cast(T, x)``), for the logic agent's
``logic/untested-behaviour-change`` check. Parsing only (:mod:`ast`): nothing is imported or run.

Cost grows with the changed statements, not with the file. With the review's error-free
tree-sitter trees of both versions, statements whose source text is the same on both sides are
cancelled from the front and the back of the module's statement list (and, when one class or
function with an unchanged header holds every change, of its body, recursively). Of the statements
left, those that stripping may remove and then the pairs whose texts differ are first parsed one
by one: a difference found that way is the answer (a function added between two distant edits
costs the parse of a few statements, not of everything between them); otherwise the lines of the
statements left are parsed whole with :mod:`ast`, stripped and compared. This equals comparing
the stripped dumps of the whole modules: stripping works statement by statement, equal source
text parses to equal trees, and equal prefixes and suffixes of two lists cancel. Without usable
trees both whole files are parsed with :mod:`ast` and compared the same way.
"""

from __future__ import annotations

import ast
import re

from tree_sitter import Node, Tree

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


class StripTypes(ast.NodeTransformer):
    """Removes what only a type checker reads: annotations, ``if TYPE_CHECKING:`` blocks, typing
    imports and ``cast(T, x)`` wrappers (``x`` stays)."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802 - ast API
        node.returns = None
        node.type_params = []
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]  # noqa: N815

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:  # noqa: N802
        if removed(node):
            return None
        return ast.Assign(targets=[node.target], value=self.visit(node.value), lineno=node.lineno)

    def visit_If(self, node: ast.If) -> ast.AST | None:  # noqa: N802
        if removed(node):
            return None
        return self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:  # noqa: N802
        return None if removed(node) else node

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        if ast.unparse(node.func).split(".")[-1] == "cast" and len(node.args) == 2:
            return self.visit(node.args[1])
        return self.generic_visit(node)


def removed(stmt: ast.AST) -> bool:
    """Whether :class:`StripTypes` removes statement ``stmt`` as a whole: a bare annotation
    (``x: int``), an ``if TYPE_CHECKING:`` block, an import from ``typing``/``typing_extensions``/``__future__``."""
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is None
    if isinstance(stmt, ast.If):
        return ast.unparse(stmt.test).split(".")[-1] == "TYPE_CHECKING"
    if isinstance(stmt, ast.ImportFrom):
        return stmt.module in ("typing", "typing_extensions", "__future__")
    return False


def same_without_annotations(
    base: bytes | None, head: bytes | None, base_tree: Tree | None = None, head_tree: Tree | None = None,
) -> bool:
    """True when two Python file versions differ only in what a type checker reads (see the module
    docstring); False when either is absent or does not parse. ``base_tree``/``head_tree``: their
    tree-sitter trees (``ctx.files``), used to parse only the changed statements. On the findings
    corpus, typing-only PRs made 6 of the 12 false ``logic/untested-behaviour-change`` findings."""
    if base is None or head is None:
        return False
    if (base_tree is not None and head_tree is not None and not base_tree.root_node.has_error
            and not head_tree.root_node.has_error and _offsets_are_bytes(base) and _offsets_are_bytes(head)):
        got = _same_blocks(base_tree.root_node, head_tree.root_node, base, head)
        return bool(got)
    try:
        trees = [ast.parse(data) for data in (base, head)]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return _dumps(trees[0].body) == _dumps(trees[1].body)


def _statements(block: Node) -> list[Node]:
    return [c for c in block.named_children if not c.is_extra]


def _same_blocks(b: Node, h: Node, bdata: bytes, hdata: bytes) -> bool:
    """Whether the statement lists of blocks ``b`` and ``h`` (modules, or bodies of one class or
    function) are equal after stripping: equal statements at both ends cancel (only where they end
    on a line of their own, so the lines left hold whole statements), the rest is parsed and
    compared, or, when one definition with the same header is left on each side, its body."""
    mb, mh = _middle(b, h)
    if len(mb) == 1 and len(mh) == 1:
        inner = _same_header_bodies(mb[0], mh[0])
        if inner is not None:
            return _same_blocks(inner[0], inner[1], bdata, hdata)
    if _differ_by_statement(mb, mh, bdata, hdata, b, h):
        return False
    got_b, got_h = _parse_lines(mb, bdata, b), _parse_lines(mh, hdata, h)
    if got_b is None or got_h is None:
        return False
    return _same_list(got_b[0], got_b[1], got_h[0], got_h[1])


def _middle(b: Node, h: Node) -> tuple[list[Node], list[Node]]:
    """The statements of blocks ``b`` and ``h`` left when equal statements at both ends cancel
    (only where they end on a line of their own, so the lines left hold whole statements)."""
    bs, hs = _statements(b), _statements(h)
    i = 0
    while i < len(bs) and i < len(hs) and bs[i].text == hs[i].text:
        i += 1
    while i > 0 and not (_row_apart(bs[i - 1], bs, i) and _row_apart(hs[i - 1], hs, i)):
        i -= 1
    j = 0
    while j < len(bs) - i and j < len(hs) - i and bs[-1 - j].text == hs[-1 - j].text:
        j += 1
    while j > 0 and not (_row_before(bs, len(bs) - j) and _row_before(hs, len(hs) - j)):
        j -= 1
    return bs[i:len(bs) - j], hs[i:len(hs) - j]


def _blocks_differ(b: Node, h: Node, bdata: bytes, hdata: bytes) -> bool:
    """True when the statement lists of blocks ``b`` and ``h`` certainly differ after stripping
    (:func:`_same_blocks` would be False); False when they may be equal."""
    mb, mh = _middle(b, h)
    if len(mb) == 1 and len(mh) == 1:
        inner = _same_header_bodies(mb[0], mh[0])
        if inner is not None:
            return _blocks_differ(inner[0], inner[1], bdata, hdata)
    return _differ_by_statement(mb, mh, bdata, hdata, b, h)


def _differ_by_statement(mb: list[Node], mh: list[Node], bdata: bytes, hdata: bytes, b: Node, h: Node) -> bool:
    """True when the statement lists ``mb`` and ``mh`` (of blocks ``b`` and ``h``) certainly differ
    after stripping, found by parsing single statements: those :class:`StripTypes` may remove as a
    whole (:func:`_maybe_removed`), then those of each pair whose source texts differ (for a class
    or function whose header text is the same on both sides, first its bodies, the same way). False when
    they may be equal or this cannot tell (statements sharing a row, a ``__future__`` import, a
    statement that does not parse alone): the caller then parses both lists whole, as before, so
    the answer is the same as that parse gives. A statement parsed alone gives the tree it has in
    its block (statements are parsed independently; a ``__future__`` import could change that)."""
    if not (_own_rows(mb) and _own_rows(mh)):
        return False
    kept_b, kept_h = _kept(mb, bdata, b), _kept(mh, hdata, h)
    if kept_b is None or kept_h is None:
        return False
    if len(kept_b) != len(kept_h):
        return True
    for (x, px), (y, py) in zip(kept_b, kept_h, strict=True):
        if x.text == y.text:
            continue
        inner = _same_header_bodies(x, y)  # a class or function with the same header: its bodies decide
        if inner is not None and _blocks_differ(inner[0], inner[1], bdata, hdata):
            return True
        px = px or _parse_one(x, bdata, b)
        py = py or _parse_one(y, hdata, h)
        if px is None or py is None:
            return False
        if not _same_list([px[0]], px[1], [py[0]], py[1]):
            return True
    return False


def _own_rows(stmts: list[Node]) -> bool:
    """No statement of ``stmts`` starts on the row where the one before it ends, and none is a
    ``__future__`` import."""
    if any(s.type == "future_import_statement" for s in stmts):
        return False
    return all(stmts[k - 1].end_point[0] < stmts[k].start_point[0] for k in range(1, len(stmts)))


def _maybe_removed(stmt: Node) -> bool:
    """Whether :func:`removed` may be true of the statement ``stmt`` (tree-sitter): an annotated
    assignment, an ``if`` whose condition names ``TYPE_CHECKING`` (or is not ASCII: identifiers
    are NFKC-normalised), any ``from`` import. Every other statement is kept by :class:`StripTypes`."""
    if stmt.type == "import_from_statement":
        return True
    if stmt.type == "if_statement":
        cond = stmt.child_by_field_name("condition")
        text = (cond if cond is not None else stmt).text or b""
        return b"TYPE_CHECKING" in text or not text.isascii()
    if stmt.type == "expression_statement":
        return any(c.type == "assignment" and c.child_by_field_name("type") is not None for c in stmt.named_children)
    return False


def _kept(stmts: list[Node], data: bytes, block: Node) -> list[tuple[Node, tuple[ast.stmt, _Source] | None]] | None:
    """The statements of ``stmts`` that :class:`StripTypes` keeps, each with its own parse when one
    was needed to tell; None when such a statement does not parse alone."""
    out: list[tuple[Node, tuple[ast.stmt, _Source] | None]] = []
    for stmt in stmts:
        if not _maybe_removed(stmt):
            out.append((stmt, None))
            continue
        got = _parse_one(stmt, data, block)
        if got is None:
            return None
        if not removed(got[0]):
            out.append((stmt, got))
    return out


def _parse_one(stmt: Node, data: bytes, block: Node) -> tuple[ast.stmt, _Source] | None:
    """The :mod:`ast` statement of the lines holding ``stmt`` alone, with its text; None when they
    do not parse to exactly one statement."""
    got = _parse_lines([stmt], data, block)
    if got is None or len(got[0]) != 1:
        return None
    return got[0][0], got[1]


def _row_apart(last: Node, stmts: list[Node], i: int) -> bool:
    """The cancelled statement ``last`` ends on a row before the first statement kept (``stmts[i]``)."""
    return i >= len(stmts) or last.end_point[0] < stmts[i].start_point[0]


def _row_before(stmts: list[Node], k: int) -> bool:
    """The first cancelled suffix statement ``stmts[k]`` starts on a row after the statement before it."""
    return k == 0 or stmts[k - 1].end_point[0] < stmts[k].start_point[0]


_OWNERS = frozenset({"class_definition", "function_definition"})


def _same_header_bodies(b: Node, h: Node) -> tuple[Node, Node] | None:
    """The bodies of two class or function definitions whose text before the body is equal, when
    each body starts on a row of its own; None otherwise."""
    if b.type != h.type:
        return None
    if b.type == "decorated_definition":
        bd, hd = b.child_by_field_name("definition"), h.child_by_field_name("definition")
    else:
        bd, hd = b, h
    if bd is None or hd is None or bd.type != hd.type or bd.type not in _OWNERS:
        return None
    bb, hb = bd.child_by_field_name("body"), hd.child_by_field_name("body")
    if bb is None or hb is None or bb.type != "block" or hb.type != "block":
        return None
    if bb.start_point[0] <= bd.start_point[0] or hb.start_point[0] <= hd.start_point[0]:
        return None
    if _prefix(b, bb) != _prefix(h, hb):
        return None
    return bb, hb


def _prefix(outer: Node, body: Node) -> bytes:
    text = outer.text or b""
    return text[:body.start_byte - outer.start_byte]


def _parse_lines(stmts: list[Node], data: bytes, block: Node) -> tuple[list[ast.stmt], _Source] | None:
    """The :mod:`ast` statements of the whole lines holding ``stmts`` (an indented block is parsed
    under ``if 1:``) with the text they were parsed from; None when they do not parse."""
    if not stmts:
        return [], _Source(b"")
    start = data.rfind(b"\n", 0, stmts[0].start_byte) + 1
    end = data.find(b"\n", stmts[-1].end_byte)
    text = data[start:] if end < 0 else data[start:end + 1]
    nested = block.type != "module"
    source = b"if 1:\n" + text if nested else text
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return (tree.body[0].body if nested else tree.body), _Source(source)  # type: ignore[attr-defined]


class _Source:
    """Line starts of a parsed text, to cut a statement's source out by its :mod:`ast` positions
    (UTF-8 byte offsets: see :func:`_offsets_are_bytes`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0]
        i = data.find(b"\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = data.find(b"\n", i + 1)

    def text(self, node: ast.stmt) -> bytes | None:
        """The source of ``node`` from its first decorator (if any) to its end; None without positions."""
        starts = [(node.lineno, node.col_offset)]
        starts += [(d.lineno, d.col_offset) for d in getattr(node, "decorator_list", ())]
        line, col = min(starts)
        end_line, end_col = node.end_lineno, node.end_col_offset
        if end_line is None or end_col is None or end_line > len(self.starts) or line > len(self.starts):
            return None
        return self.data[self.starts[line - 1] + col:self.starts[end_line - 1] + end_col]


_AST_OWNERS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _same_list(xs: list[ast.stmt], xsrc: _Source, ys: list[ast.stmt], ysrc: _Source) -> bool:
    """Whether two statement lists are equal after :class:`StripTypes`: the statements it keeps,
    pair by pair (equal source text is equal; a class or function with an equal header is
    compared by its body; anything else by its stripped dump)."""
    xs = [x for x in xs if not removed(x)]
    ys = [y for y in ys if not removed(y)]
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys, strict=True):
        tx = xsrc.text(x)
        if tx is not None and tx == ysrc.text(y):
            continue
        if isinstance(x, _AST_OWNERS) and type(x) is type(y):
            xbody, ybody = x.body, y.body
            x.body, y.body = [], []  # type: ignore[attr-defined]
            try:
                same_header = _dumps([x]) == _dumps([y])
            finally:
                x.body, y.body = xbody, ybody  # type: ignore[attr-defined]
            if same_header and _same_list(xbody, xsrc, ybody, ysrc):
                continue
            return False
        if _dumps([x]) != _dumps([y]):
            return False
    return True


def _offsets_are_bytes(data: bytes) -> bool:
    """True when lines of ``data`` cut at ``\\n`` parse as they do inside the whole file: no BOM,
    no coding declaration over non-ASCII text (a cut-out part would be read as UTF-8) and no
    carriage returns (line breaks for Python that the cut does not see)."""
    if data.startswith(b"\xef\xbb\xbf") or b"\r" in data:
        return False
    return data.isascii() or not _CODING.search(b"\n".join(data.split(b"\n", 2)[:2]))


def _dumps(stmts: list[ast.stmt]) -> list[str]:
    """The :func:`ast.dump` of each statement after :class:`StripTypes` (removed ones left out)."""
    out: list[str] = []
    strip = StripTypes()
    for s in stmts:
        got = strip.visit(s)
        if got is not None:
            out.append(ast.dump(got))
    return out
