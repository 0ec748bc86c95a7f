"""``StreamMemo`` shares the streams of equal parts (by source text) between the nodes it streams:
the same tokens as :func:`canonical`, fewer nodes walked."""

from __future__ import annotations

import pytest

from bot.core import treesitter
from subagents import _canonical
from subagents._canonical import StreamMemo, canonical

_BODY = "".join(f"    value_{i} = compute_{i}(argument, other_argument, {i}, keyword=\"some text\")\n" for i in range(20))
BASE = f"def f(argument, other_argument):\n    '''Doc.'''\n{_BODY}    return value_3\n\n\nclass K:\n    def m(self):\n{_BODY.replace('    ', '        ')}        return 1\n"
HEAD = BASE.replace("compute_7(", "compute_77(").replace("return value_3", "return helper(value_3)") + (
    "\n\ndef helper(v):\n    return v + 1\n")


def _defs(src: str) -> list:
    root = treesitter.parse("python", src.encode()).root_node
    assert not root.has_error
    return [d.node for d in _canonical.definitions(root, "python").values()]


@pytest.mark.parametrize("blank", [False, True])
def test_spliced_streams_equal_canonical(blank: bool) -> None:
    memo = StreamMemo()
    base, head = _defs(BASE), _defs(HEAD)
    _, head_inline = _canonical.one_sided_helpers(base[0].parent, head[0].parent)
    assert "helper" in head_inline
    for nodes, inline in ((base, None), (head, head_inline), (head, None)):
        for n in nodes:
            assert memo.stream(n, blank_strings=blank, inline=inline, language="python") == canonical(n, blank_strings=blank, inline=inline)


def test_equal_statements_are_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    memo = StreamMemo()
    base, head = _defs(BASE)[0], _defs(HEAD)[0]
    memo.stream(base, language="python")
    kept = len(memo._by_text)
    assert kept >= 20  # the statements of the body, kept by text
    walked: list[str] = []
    real = _canonical.canonical

    def counting(node, **kwargs):  # noqa: ANN001, ANN003, ANN202
        walked.append(node.type)
        return real(node, **kwargs)

    monkeypatch.setattr(_canonical, "canonical", counting)
    assert memo.stream(head, language="python") == real(head)
    # the function's frame and the two changed statements; the 19 others are copied
    assert walked.count("function_definition") == 1 and len(walked) == 3
    assert len(memo._by_text) == kept + 2


def test_a_part_mentioning_a_one_sided_helper_is_not_shared() -> None:
    """``return helper(value_3)`` is inlined in the head only: the head's stream of the function
    must not take the base's (or an uninlined) stream of that statement."""
    memo = StreamMemo()
    base, head = _defs(BASE), _defs(HEAD)
    _, head_inline = _canonical.one_sided_helpers(base[0].parent, head[0].parent)
    plain = memo.stream(head[0], language="python")
    inlined = memo.stream(head[0], inline=head_inline, language="python")
    assert inlined == canonical(head[0], inline=head_inline) != plain


def test_languages_and_modes_do_not_share() -> None:
    go = treesitter.parse("go", b"package p\nfunc f() {\n\tvalue := compute(argument, other_argument, third)\n\tuse(value)\n}\n")
    memo = StreamMemo()
    fn = go.root_node.named_children[1]
    assert memo.stream(fn, python=False, language="go") == canonical(fn, python=False)
    py = _defs(BASE)[0]
    assert memo.stream(py, blank_strings=True, language="python") == canonical(py, blank_strings=True)
    assert memo.stream(py, language="python") == canonical(py)


def test_a_docstring_and_an_equal_statement_elsewhere_are_not_confused() -> None:
    src = "def f():\n    '''The same text in both places, long enough to be kept by text.'''\n    return 1\n\n\n" \
          "def g():\n    x = 1\n    '''The same text in both places, long enough to be kept by text.'''\n    return x\n"
    memo = StreamMemo()
    for n in _defs(src):
        assert memo.stream(n, language="python") == canonical(n)


def test_one_memo_per_review_shared_by_the_agents() -> None:
    from bot.core.changeset import ChangedFiles  # noqa: PLC0415
    from bot.testing.fake_tree import MemoryTree  # noqa: PLC0415

    files = ChangedFiles(MemoryTree({"a.py": "x = 1\n"}), MemoryTree({"a.py": "x = 2\n"}))
    other = ChangedFiles(MemoryTree({"a.py": "x = 1\n"}), MemoryTree({"a.py": "x = 2\n"}))
    memo = _canonical.review_streams(files)
    assert isinstance(memo, StreamMemo) and _canonical.review_streams(files) is memo
    assert _canonical.review_streams(other) is not memo
