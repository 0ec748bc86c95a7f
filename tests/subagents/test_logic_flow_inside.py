"""``flow._Inside.get`` answers what the table from every head statement's ``ast.dump`` to its
occurrences answered (``flow._inside`` before), on every function of this repository."""

from __future__ import annotations

import ast
from pathlib import Path

from subagents.checks.logic import flow

ROOT = Path(__file__).resolve().parents[2]


def _table(stmts: list[ast.stmt], kind: type | tuple[type, ...], keep: object) -> dict[str, list[tuple[ast.stmt, bool]]]:
    out: dict[str, list[tuple[ast.stmt, bool]]] = {}

    def visit(body: list[ast.stmt], inside: bool) -> None:
        for stmt in body:
            if isinstance(stmt, flow._NESTED):
                continue
            out.setdefault(ast.dump(stmt), []).append((stmt, inside))
            here = inside or (isinstance(stmt, kind) and keep(stmt))  # type: ignore[operator]
            visit(getattr(stmt, "body", []) or [], here)
            for field in ("orelse", "finalbody"):
                visit(getattr(stmt, field, []) or [], inside)
            for handler in getattr(stmt, "handlers", []) or []:
                visit(handler.body, inside)

    visit(stmts, False)
    return out


DUPLICATES = """
def f(a):
    try:
        x = a()
    except E:
        pass
    x = a()
    with lock:
        x = a()
        if a:
            return 1
    if a:
        return 1
    return 2
"""


def test_same_occurrences_as_the_table_of_every_dump() -> None:
    trees = [ast.parse(DUPLICATES)] + [ast.parse(p.read_text(encoding="utf-8"))
                                       for p in sorted((ROOT / "subagents" / "checks" / "logic").glob("*.py"))]
    asked = 0
    for tree in trees:
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for kind, keep in ((ast.Try, lambda t: bool(t.handlers)), ((ast.With, ast.AsyncWith), lambda w: True)):
                table, inside = _table(func.body, kind, keep), flow._Inside(func.body, kind, keep)
                for stmt in ast.walk(func):
                    if isinstance(stmt, ast.stmt):
                        assert inside.get(stmt) == table.get(ast.dump(stmt), [])
                        asked += 1
    assert asked > 1000
    inside = flow._Inside(ast.parse(DUPLICATES).body[0].body, (ast.With,), lambda w: True)  # type: ignore[attr-defined]
    x = ast.parse("x = a()").body[0]
    assert [enclosed for _, enclosed in inside.get(x)] == [False, False, True]
