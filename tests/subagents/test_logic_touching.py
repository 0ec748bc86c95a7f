"""Searches of sorted changed lines in the logic scan (``_scan._names_touching``,
``logic_python.PyFile.touches``) answer what a scan of every changed line answered."""

from __future__ import annotations

import random
from pathlib import Path

from bot.core import treesitter
from subagents import _syntax, logic_python
from subagents.checks.logic import _scan
from tests.subagents.test_pyast import change

SOURCE = Path(_scan.__file__).read_text(encoding="utf-8")  # a real module: classes, methods, nested functions
CLASSY = "".join(f"class C{i}:\n    def m{i}(self):\n        def inner():\n            return {i}\n        return inner\n\n"
                 f"def f{i}(x):\n    return x + {i}\n\n" for i in range(30))


def _scan_names(defs: dict[str, _syntax.Definition], lines: set[int]) -> list[str]:
    return [q.split("#")[0].rsplit(".", 1)[-1] for q, d in defs.items() if any(d.start <= n <= d.end for n in lines)]


def test_names_touching_equals_a_scan_of_every_line() -> None:
    rng = random.Random(14)
    for text, language in ((SOURCE, "python"), (CLASSY, "python")):
        defs = _syntax.definitions(treesitter.parse(language, text.encode()).root_node, language)
        assert len(defs) >= 30
        top = text.count("\n") + 3
        for _ in range(300):
            lines = {rng.randint(0, top) for _ in range(rng.choice([0, 1, 2, 5, 40]))}
            assert _scan._names_touching(defs, lines) == _scan_names(defs, lines)


def test_touches_equals_a_scan_of_every_line() -> None:
    head = CLASSY.replace("return x + 7", "return x - 7").replace("return 12", "return 13")
    fc = change(CLASSY, head)
    trees = (treesitter.parse("python", CLASSY.encode()), treesitter.parse("python", head.encode()))
    rng = random.Random(7)
    for _ in range(200):
        removed = {rng.randint(1, 300) for _ in range(rng.choice([0, 1, 3, 30]))}
        added = {rng.randint(1, 300) for _ in range(rng.choice([0, 1, 3, 30]))}
        pf = logic_python.PyFile(fc=fc, base=trees[0], head=trees[1], removed=removed, added=added, is_test=False)
        for start in range(0, 300, 7):
            for end in (start, start + 1, start + 9, start + 60):
                assert pf.touches(start, end, "base") == any(start <= n <= end for n in removed)
                assert pf.touches(start, end, "head") == any(start <= n <= end for n in added)
