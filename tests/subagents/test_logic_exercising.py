"""``_scan._exercising_text``: the test code a change adds or edits (added lines plus their whole
enclosing test blocks), read once per block and with one upward scan of the file."""

from __future__ import annotations

import difflib
import random
import re

from bot.core.diff import FileChange, parse_diff
from subagents.checks.logic import _scan


def _change(old: str, new: str, path: str = "tests/test_x.py") -> FileChange:
    body = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
    return parse_diff(f"diff --git a/{path} b/{path}\n{body}").files[0]


def _reference(fc: FileChange, head_text: str) -> str:
    """The definition before the one-scan rewrite: each added line searched upwards and its block
    read on its own."""
    lines = head_text.splitlines()
    added = sorted(ln.new_lineno for ln in fc.added_lines() if ln.new_lineno is not None and ln.text.strip())
    picked = set(added)
    for n in added:
        start = next((i for i in range(min(n, len(lines)), max(0, n - _scan.MAX_TEST_BLOCK_LINES), -1)
                      if _scan._BLOCK_START.match(lines[i - 1])), None)
        if start is None:
            continue
        indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
        end = start
        while end < min(len(lines), start + _scan.MAX_TEST_BLOCK_LINES):
            nxt = lines[end]
            if nxt.strip() and (len(nxt) - len(nxt.lstrip())) <= indent and _scan._BLOCK_START.match(nxt):
                break
            if nxt.strip() and (len(nxt) - len(nxt.lstrip())) < indent:
                break
            end += 1
        picked.update(range(start, end + 1))
    return "\n".join(lines[i - 1] for i in sorted(picked) if 0 < i <= len(lines))


def test_added_lines_bring_their_whole_test_function() -> None:
    old = "import x\n\n\ndef test_a():\n    assert x.f(1)\n    assert x.f(2)\n\n\ndef test_b():\n    assert x.g()\n"
    new = old.replace("    assert x.f(2)\n", "    assert x.f(2)\n    assert x.f(3)\n")
    got = _scan._exercising_text(_change(old, new), new)
    assert got == "def test_a():\n    assert x.f(1)\n    assert x.f(2)\n    assert x.f(3)\n\n"  # blank lines up to the next block
    assert "test_b" not in got


def test_a_new_file_of_many_tests_reads_each_block_once() -> None:
    new = "".join(f"def test_{i}():\n    value = make({i})\n    assert check(value)\n\n" for i in range(300))
    fc = _change("", new)
    assert _scan._exercising_text(fc, new) == _reference(fc, new)
    assert "def test_299():" in _scan._exercising_text(fc, new)


def test_a_block_start_farther_up_than_the_limit_is_not_found() -> None:
    filler = "".join(f"    step({i})\n" for i in range(_scan.MAX_TEST_BLOCK_LINES + 50))
    old = "def test_long():\n" + filler
    new = old + "    step('new')\n"
    fc = _change(old, new)
    assert _scan._exercising_text(fc, new) == "    step('new')"
    assert _scan._exercising_text(fc, new) == _reference(fc, new)


def test_random_edits_equal_the_reference() -> None:
    rng = random.Random(14)
    starts = ["def test_{}():", "    def helper_{}():", "class TestThing{}:", "func TestGo{}(t *testing.T) {{",
              "it('does {}', () => {{", "  describe('group {}', () => {{", "t.Run(\"{}\", func(t *testing.T) {{"]
    for case in range(120):
        old_lines = []
        for i in range(rng.randrange(5, 900)):
            pick = rng.random()
            if pick < 0.05:
                old_lines.append(rng.choice(starts).format(i))
            elif pick < 0.1:
                old_lines.append("")
            else:
                old_lines.append(" " * rng.choice((0, 2, 4, 8)) + f"stmt_{i}()")
        new_lines = list(old_lines)
        for _ in range(rng.randrange(1, 40)):
            at = rng.randrange(len(new_lines) + 1)
            for k in range(rng.randrange(1, 30)):
                text = rng.choice(starts).format(f"n{case}_{k}") if rng.random() < 0.1 else " " * rng.choice((0, 2, 4)) + f"added_{k}()"
                new_lines.insert(at + k, text)
        old, new = "\n".join(old_lines) + "\n", "\n".join(new_lines) + "\n"
        fc = _change(old, new)
        for head in (new, new[: len(new) // 2]):
            assert _scan._exercising_text(fc, head) == _reference(fc, head), case


def test_block_starts_answers_match_a_direct_search() -> None:
    lines = ["def test_a():", "  x", "", "  y", "def test_b():", "  z"] * 40
    rng = random.Random(3)
    for _ in range(50):
        starts = _scan._BlockStarts(lines)
        top = floor = 0
        for _ in range(30):
            top = min(len(lines), top + rng.randrange(0, 12))
            floor = min(top, floor + rng.randrange(0, 12))
            want = next((i for i in range(top, floor, -1) if re.match(_scan._BLOCK_START, lines[i - 1])), None)
            assert starts.last(top, floor) == want
