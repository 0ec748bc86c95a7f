"""``select_files(files, known)``: the index's choice of files from a listing, with the decisions
of an earlier listing (:func:`bot.codeindex.builder.path_selection`, kept by the command server)
taken for the paths they cover, is the choice made without them."""

from __future__ import annotations

from bot.codeindex.builder import VENDORED, path_selection, select_files

FILES = {
    "a.py": "1" * 40, "pkg/b.py": "2" * 40, "web/c.ts": "3" * 40, "web/d.vue": "4" * 40, "go/e.go": "5" * 40,
    "node_modules/x/f.js": "6" * 40, "vendor/g.go": "7" * 40, "README.md": "8" * 40, "Makefile": "9" * 40,
    "third_party/h.py": "a" * 40, "z.txt": "b" * 40,
}


def test_path_selection_is_select_files_decision() -> None:
    selection = path_selection(FILES)
    chosen, vendored = select_files(FILES)
    assert sorted((p, FILES[p], lang) for p, lang in selection.items() if lang) == chosen
    assert sum(1 for lang in selection.values() if lang == VENDORED) == vendored > 0
    assert selection["README.md"] is None


def test_known_decisions_give_the_same_selection() -> None:
    """Known for all paths, for some, for other paths only, for none; and a changed listing
    (blobs moved, files added and removed) with the decisions of the first."""
    full = select_files(FILES)
    known = path_selection(FILES)
    half = dict(list(known.items())[::2])
    for k in (known, half, path_selection(["elsewhere.py", "README.md"]), {}):
        assert select_files(FILES, k) == full
    moved = {p: b.replace("1", "c") for p, b in FILES.items() if p != "a.py"} | {"new.py": "d" * 40, "vendor/n.py": "e" * 40}
    assert select_files(moved, known) == select_files(moved)


def test_a_known_decision_is_taken_as_given() -> None:
    """The decisions are trusted for the paths they name (they are a function of the path alone),
    so a test can see them used: a path marked vendored is counted so."""
    chosen, vendored = select_files({"a.py": "1" * 40}, {"a.py": VENDORED})
    assert (chosen, vendored) == ([], 1)
