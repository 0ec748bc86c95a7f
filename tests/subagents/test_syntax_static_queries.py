"""``_syntax.static_queries``: the queries that ``definitions``, ``classes``, ``text_lines`` and the
logic agent's Python searches (``PY_SEARCHES``) compile,
so that the command server compiles them once before it forks (a served review of a TypeScript file
paid ~11 ms of query compilation in the logic agent alone)."""

from __future__ import annotations

from bot.core import treesitter
from subagents import _syntax

SOURCES = {
    "python": "class A:\n    def f(self):\n        '''doc\n        more'''\n        return 1\n",
    "javascript": "class A { f() { return `a\nb`; } }\nfunction g() { /* x\n y */ return 1; }\n",
    "typescript": "interface I { x: number }\nclass A { f(): number { return 1; } }\nfunction g() { /* x\n y */ }\n",
    "tsx": "class A { f() { return <div>{`a\nb`}</div>; } }\nfunction g() { return 1; }\n",
    "go": "package p\n\ntype T struct{}\n\nfunc (t T) F() int { return 1 }\n\n/* a\n b */\nfunc G() {}\n",
}


def test_every_language_has_its_three_searches() -> None:
    got = _syntax.static_queries()
    assert len(got) == len(set(got))
    for language in SOURCES:
        assert sum(1 for lang, _ in got if lang == language) >= 2, language
    assert {lang for lang, _ in got} <= set(treesitter.LANGUAGES)


def test_the_searches_compile_nothing_after_the_static_queries() -> None:
    for language, pattern in _syntax.static_queries():
        treesitter.query(language, pattern)
    before = treesitter.query.cache_info().misses
    for language, source in SOURCES.items():
        tree = treesitter.parse(language, source.encode())
        broken = treesitter.parse(language, (source + "\n)(}{ ((\n").encode())  # Python's error path uses a query
        for root in (tree.root_node, broken.root_node):
            assert _syntax.definitions(root, language) is not None
            _syntax.classes(root, language)
            _syntax.text_lines(root, language)
            _syntax.text_lines(root, language, lines={1, 2})
        if language == "python":
            for types in _syntax.PY_SEARCHES:
                _syntax.find(tree.root_node, language, types, lines={1, 2, 3})
        assert _syntax.definitions(tree.root_node, language), language
    assert treesitter.query.cache_info().misses == before
