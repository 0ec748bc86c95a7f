"""Shared tree-sitter loading: every grammar loads, parsers and queries are cached."""

from __future__ import annotations

import pytest
from tree_sitter import QueryError

from bot.core import treesitter
from bot.core.languages import EXTENSIONS


def test_every_language_of_the_extension_map_parses() -> None:
    """Grammars ship only for the languages Quorum has rules for; the other mapped languages
    (java, rust, ruby) are recognised for text-level checks but never parsed."""
    assert set(treesitter.LANGUAGES) == {"python", "javascript", "typescript", "tsx", "go"}
    for name in set(EXTENSIONS.values()):
        if name not in treesitter.LANGUAGES:
            assert not treesitter.supported(name)
            continue
        assert treesitter.supported(name)
        tree = treesitter.parse(name, b"x")
        assert tree.root_node is not None
        assert treesitter.get_parser(name) is treesitter.get_parser(name)
        assert treesitter.get_language(name) is treesitter.get_language(name)


def test_unknown_language_is_a_value_error() -> None:
    assert not treesitter.supported("cobol")
    with pytest.raises(ValueError, match="cobol"):
        treesitter.get_language("cobol")


def test_query_is_cached_and_runs_with_predicates() -> None:
    pattern = '((call function: (identifier) @fn) @match (#eq? @fn "print"))'
    q = treesitter.query("python", pattern)
    assert q is treesitter.query("python", pattern)
    tree = treesitter.parse("python", b"print(1)\nlen(x)\nprint(2)\n")
    caps = treesitter.captures(q, tree.root_node)
    assert [n.start_point.row for n in caps["match"]] == [0, 2]
    found = treesitter.matches(q, tree.root_node)
    assert [treesitter.node_text(m["fn"][0]) for _, m in found] == ["print", "print"]


def test_bad_query_raises_query_error() -> None:
    with pytest.raises(QueryError):
        treesitter.query("go", "(no_such_node) @x")


def test_utf8_safe_keeps_valid_bytes_and_lines() -> None:
    good = "caf\u00e9\n".encode()
    assert treesitter.utf8_safe(good) is good
    bad = b"caf\xe9\nx\n"
    fixed = treesitter.utf8_safe(bad)
    assert fixed.decode("utf-8") == "caf\ufffd\nx\n"
    assert fixed.count(b"\n") == bad.count(b"\n")


def test_line_edits_are_in_the_coordinates_left_by_the_edits_before_them() -> None:
    from bot.core.treesitter import line_edits

    old, new = b"a\nb\nc\nd\n", b"a\nB1\nB2\nc\nD\n"
    assert line_edits(old, new, [(1, 1, 1, 2), (3, 1, 4, 1)]) == [
        {"start_byte": 2, "old_end_byte": 4, "new_end_byte": 8,
         "start_point": (1, 0), "old_end_point": (2, 0), "new_end_point": (3, 0)},
        {"start_byte": 10, "old_end_byte": 12, "new_end_byte": 12,
         "start_point": (4, 0), "old_end_point": (5, 0), "new_end_point": (5, 0)},
    ]
    # a last line without a newline: the edit ends inside the row
    assert line_edits(b"x\ny", b"x\nyy", [(1, 1, 1, 1)]) == [
        {"start_byte": 2, "old_end_byte": 3, "new_end_byte": 4,
         "start_point": (1, 0), "old_end_point": (1, 1), "new_end_point": (1, 2)},
    ]


def test_line_starts_are_the_offsets_after_each_newline() -> None:
    from bot.core.treesitter import line_starts  # noqa: PLC0415

    for data in (b"", b"\n", b"a", b"ab\ncd", b"ab\ncd\n", b"\n\n", b"a\r\nb\n\xff\n"):
        expected = [0, *(i + 1 for i, byte in enumerate(data) if byte == 10)]
        assert line_starts(data) == expected, data


def test_grammars_load_without_running_their_package_init() -> None:
    """In a fresh interpreter: every grammar loads from its ``_binding`` extension without the
    wheel's ``__init__`` (no ``importlib.resources``), parses, and a later ordinary import of the
    wheel reuses the same binding module."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bot.core import treesitter\n"
        "for name in treesitter.LANGUAGES:\n"
        "    assert treesitter.parse(name, b'x = 1\\n').root_node.child_count, name\n"
        "assert 'importlib.resources' not in sys.modules\n"
        "assert not any(m in sys.modules for m in ('tree_sitter_python', 'tree_sitter_go', 'tree_sitter_typescript'))\n"
        "binding = sys.modules['tree_sitter_python._binding']\n"
        "import tree_sitter_python\n"
        "assert tree_sitter_python.language is binding.language\n"
        "assert tree_sitter_python.HIGHLIGHTS_QUERY  # the wheel's own files still read\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_grammar_without_an_extension_file_is_imported_the_ordinary_way(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import sys

    package = tmp_path / "quorum_fake_grammar"
    package.mkdir()
    (package / "__init__.py").write_text("RAN_INIT = True\n")
    (package / "_binding.py").write_text("def language():\n    return 'capsule'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = treesitter._binding("quorum_fake_grammar")
        assert module.language() == "capsule"
        assert sys.modules["quorum_fake_grammar"].RAN_INIT  # the ordinary import ran the package
    finally:
        for name in ("quorum_fake_grammar._binding", "quorum_fake_grammar"):
            sys.modules.pop(name, None)


def test_a_missing_grammar_package_is_an_import_error() -> None:
    with pytest.raises(ImportError):
        treesitter._binding("quorum_no_such_grammar")
