"""subagents.logic_typing: the typing-only test reads only the changed statements and answers as a
comparison of the whole stripped modules would."""

from __future__ import annotations

import textwrap

import pytest

from bot.core import treesitter
from subagents.logic_typing import same_without_annotations

_BASE = textwrap.dedent('''\
    """Module doc."""
    from __future__ import annotations
    import os

    LIMIT = 3


    @register
    class Store(Base):
        """A store."""

        name = "x"

        def get(self, key, default=None):
            if key is None:
                return default
            return self._data.get(key, default)

        def put(self, key, value):
            self._data[key] = value


    def helper(a, b):
        return a + b; print(a)


    def main():
        return helper(1, 2)
''')


def _edit(old: str, new: str) -> str:
    assert old in _BASE
    return _BASE.replace(old, new, 1)


CASES = [
    ("identical", _BASE, True),
    ("annotation in a method", _edit("def get(self, key, default=None):", "def get(self, key: str, default: int | None = None) -> int:"), True),
    ("typing import added", _edit("import os\n", "import os\nfrom typing import Any\n"), True),
    ("TYPE_CHECKING block", _edit("import os\n", "import os\nif TYPE_CHECKING:\n    from x import Y\n"), True),
    ("bare annotation in a class", _edit('    name = "x"\n', '    name = "x"\n    size: int\n'), True),
    ("cast around a value", _edit("return helper(1, 2)", "return cast(int, helper(1, 2))"), True),
    ("comment only", _edit("            return default\n", "            return default  # none given\n"), True),
    ("changed return in a method", _edit("            return default\n", "            return None\n"), False),
    ("changed constant", _edit("LIMIT = 3", "LIMIT = 4"), False),
    ("annotated assignment becomes plain", _edit('    name = "x"', '    name: str = "x"'), True),
    ("new decorator", _edit("    def put(self, key, value):", "    @cached\n    def put(self, key, value):"), False),
    ("class base changed", _edit("class Store(Base):", "class Store(Other):"), False),
    ("statement on a shared line", _edit("return a + b; print(a)", "return a + b; print(b)"), False),
    ("changes at both ends", _edit("import os\n", "import os\nfrom typing import Any\n").replace("return helper(1, 2)", "return helper(2, 1)"), False),
    ("method removed", _edit("    def put(self, key, value):\n        self._data[key] = value\n", ""), False),
    ("annotations at both ends", _edit("def helper(a, b):", "def helper(a: int, b: int) -> int:").replace("import os\n", "import os\nfrom typing import Any\n"), True),
    ("syntax error in a changed line", _edit("return helper(1, 2)", "return helper(1, 2"), False),
    ("docstring changed", _edit('"""A store."""', '"""A store of things."""'), False),
    ("function added between annotations", _edit("def helper(a, b):", "def helper(a: int, b: int) -> int:").replace(
        "import os\n", "import os\nfrom typing import Any\n").replace("\n\n\ndef main", "\n\n\ndef extra():\n    return 1\n\n\ndef main"), False),
    ("annotation becomes bare between annotations", _edit('    name = "x"\n', '    name: str\n').replace(
        "def helper(a, b):", "def helper(a: int, b: int) -> int:").replace("import os\n", "import os\nfrom typing import Any\n"), False),
    ("TYPE_CHECKING block and annotation apart", _edit("import os\n", "import os\nif TYPE_CHECKING:\n    from x import Y\n").replace(
        "def main():", "def main() -> int:"), True),
    ("typing import and a changed call apart", _edit("import os\n", "import os\nfrom typing import Any\n").replace(
        "return helper(1, 2)", "return helper(1, 3)"), False),
    ("annotation on an assignment apart", _edit('LIMIT = 3', 'LIMIT: int = 3').replace("def main():", "def main() -> int:"), True),
]


def _trees(base: str, head: str):  # noqa: ANN202 - test helper
    return treesitter.parse("python", base.encode()), treesitter.parse("python", head.encode())


@pytest.mark.parametrize(("name", "head", "expected"), CASES, ids=[c[0] for c in CASES])
def test_typing_only_changes(name: str, head: str, expected: bool) -> None:
    base_tree, head_tree = _trees(_BASE, head)
    with_trees = same_without_annotations(_BASE.encode(), head.encode(), base_tree, head_tree)
    whole_files = same_without_annotations(_BASE.encode(), head.encode())
    assert with_trees is expected, name
    assert whole_files is expected, name


def test_unchanged_lines_that_do_not_parse_still_fail_without_trees() -> None:
    base = "print 'py2'\nx: int = 1\n"
    head = "print 'py2'\nx = 1\n"
    assert same_without_annotations(base.encode(), head.encode()) is False


def test_absent_side() -> None:
    assert same_without_annotations(None, b"x = 1\n") is False
    assert same_without_annotations(b"x = 1\n", None) is False


def test_carriage_returns_use_the_whole_files() -> None:
    base, head = b"def f(a):\r\n    return a\r\n", b"def f(a: int) -> int:\r\n    return a\r\n"
    base_tree, head_tree = treesitter.parse("python", base), treesitter.parse("python", head)
    assert same_without_annotations(base, head, base_tree, head_tree) is True
    assert same_without_annotations(base, head.replace(b"return a", b"return -a"), base_tree, head_tree) is False


def _spy_on_parse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text ``subagents.logic_typing`` hands to ``ast.parse`` in the returned list,
    until ``monkeypatch.undo()``."""
    import ast  # noqa: PLC0415

    from subagents import logic_typing  # noqa: PLC0415

    parsed: list[str] = []
    real = ast.parse

    def spy(source: bytes | str, *args: object, **kwargs: object) -> ast.AST:
        parsed.append(source.decode() if isinstance(source, bytes) else source)
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(logic_typing.ast, "parse", spy)
    return parsed


def test_statements_equal_on_both_sides_are_not_parsed_when_the_lists_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function added between two distant edits: the statements in between are not parsed (the
    count of kept statements already differs); the answer is the whole modules' answer."""
    middle = "".join(f"\n\ndef helper_{i}(x):\n    return x + {i}\n" for i in range(30))
    base = f"import os\n{middle}\n\ndef last(a):\n    return a\n"
    head = base.replace("import os\n", "import os\nfrom typing import Any\n").replace(
        "def last(a):", "def new():\n    return 0\n\n\ndef last(a: int) -> int:")
    parsed = _spy_on_parse(monkeypatch)
    assert same_without_annotations(base.encode(), head.encode(), *_trees(base, head)) is False
    assert parsed and not any("helper_15" in text for text in parsed)
    monkeypatch.undo()  # the whole-module answer, unspied
    assert same_without_annotations(base.encode(), head.encode()) is False


def test_a_class_changed_apart_is_compared_by_its_changed_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class whose first method gains annotations and whose last method changes behaviour, and a
    constant after it: the class's methods in between are not parsed."""
    methods = "".join(f"\n    def m{i}(self, x):\n        return x + {i}\n" for i in range(30))
    base = f"class C:\n    def first(self, a):\n        return a\n{methods}\n    def last(self):\n        return 1\n\n\nX = 1\n"
    head = base.replace("def first(self, a):", "def first(self, a: int) -> int:").replace("return 1\n", "return 2\n").replace("X = 1", "X: int = 1")
    parsed = _spy_on_parse(monkeypatch)
    assert same_without_annotations(base.encode(), head.encode(), *_trees(base, head)) is False
    assert parsed and not any("m15" in text for text in parsed)
    monkeypatch.undo()  # the whole-module answer, unspied
    assert same_without_annotations(base.encode(), head.encode()) is False
    typing_only = head.replace("return 2\n", "return 1\n")
    assert same_without_annotations(base.encode(), typing_only.encode(), *_trees(base, typing_only)) is True
    assert same_without_annotations(base.encode(), typing_only.encode()) is True
