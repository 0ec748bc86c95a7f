"""What a query's matches need in the source (bot.core.querygate), and the catalog built on it:
rules that cannot match any file in scope are neither compiled nor run, with the same matches."""

from __future__ import annotations

import pytest

from bot.core.catalog import MAX_PARTIAL_QUERIES, Rule, default_root, fixture_name, load_catalog
from bot.core.querygate import may_match, required_texts

CATALOG = load_catalog()
SOURCES: dict[str, list[bytes]] = {}
for _rule in CATALOG.rules:
    _data = (default_root() / fixture_name(_rule)).read_bytes()
    for _lang in _rule.all_languages:
        SOURCES.setdefault(_lang, []).append(_data)


@pytest.mark.parametrize(("query", "needs"), [
    ('(call function: (identifier) @fn (#eq? @fn "print")) @match', ((frozenset({b"print"}),),)),
    ('(call function: (attribute object: (identifier) @m attribute: (identifier) @a)\n'
     '  (#eq? @m "os") (#any-of? @a "system" "popen")) @match',
     ((frozenset({b"os"}), frozenset({b"system", b"popen"})),)),
    ('((comment) @match (#eq? @match "x"))\n(call function: (identifier) @f (#eq? @f "y")) @match',
     ((frozenset({b"x"}),), (frozenset({b"y"}),))),
])
def test_texts_a_match_needs(query: str, needs: tuple) -> None:
    assert required_texts(query) == needs


@pytest.mark.parametrize("query", [
    "(global_statement) @match",  # no text predicate
    '(call function: (identifier) @fn (#not-eq? @fn "print")) @match',  # negative predicate
    '(call function: (identifier) @fn (#match? @fn "^print$")) @match',  # a regex: not read
    '(call function: [(identifier) @fn (attribute)] (#eq? @fn "print")) @match',  # one alternative of several
    '(call (identifier)? @fn (#eq? @fn "print")) @match',  # optional
    '(block (call function: (identifier) @fn)* (#eq? @fn "print")) @match',  # repeated group
    '(call function: (identifier) @fn arguments: (argument_list (identifier) @fn) (#eq? @fn "print")) @match',
    '(call function: (identifier) @a (#eq? @a @b)) @match',  # capture against capture
    '(call function: (identifier) @fn (#eq? @fn "pr\\"int")) @match',  # an escape: not read
    '(call (_)? @fn (#eq? @fn "print")) @match',
    '(call _? @fn (#eq? @fn "print")) @match',  # a quantifier glued to the wildcard
    '(call function: (identifier) @fn (#eq? @fn "print")) @match\n(global_statement) @match',  # one pattern needs nothing
    '(call function: (identifier) @fn (#eq? @fn "print") @match',  # unbalanced
])
def test_nothing_is_claimed_where_it_is_not_proven(query: str) -> None:
    assert required_texts(query) is None


def test_may_match_needs_one_text_of_each_set_of_some_pattern() -> None:
    needs = required_texts('(call function: (attribute object: (identifier) @m attribute: (identifier) @a)'
                           ' (#eq? @m "os") (#any-of? @a "system" "popen")) @match')
    assert may_match(needs, b"os.popen('x')")
    assert not may_match(needs, b"os.path.join(a)")
    assert not may_match(needs, b"subprocess.popen()")
    assert may_match(None, b"")


@pytest.mark.parametrize("rule", list(CATALOG.rules), ids=lambda r: r.id)
def test_a_rule_that_matches_a_file_may_match_it(rule: Rule) -> None:
    """Over every fixture of the catalog (all of its languages): a file a rule matches is never
    one it is said not to be able to match; and the fixture of a rule with needs does have them."""
    needs = required_texts(rule.query)
    for lang in rule.all_languages:
        for data in SOURCES.get(lang, []):
            if CATALOG.match(lang, data, path="src/pkg/m", rule_ids=[rule.id]):
                assert may_match(needs, data), (rule.id, lang)
    fixture = (default_root() / fixture_name(rule)).read_bytes()
    assert may_match(needs, fixture)


def test_rules_needing_absent_texts_are_left_out() -> None:
    ids = [r.id for r in CATALOG.rules if "python" in r.all_languages]
    kept = CATALOG.may_match(ids, [b"def f(x):\n    return x\n"])
    assert "QPY005" not in kept and "QPY017" not in kept  # print(...), os.system(...) need their names
    assert "QPY002" in kept and "QPY012" in kept  # queries without text predicates always stay
    assert CATALOG.may_match(["QPY005", "QNONE01"], [b"print(1)\n"]) == ["QPY005", "QNONE01"]
    assert CATALOG.may_match(["QPY005"], []) == []


def test_a_partial_query_finds_what_the_whole_one_finds() -> None:
    whole = load_catalog()
    for lang, datas in SOURCES.items():
        ids = [r.id for r in whole.rules if lang in r.all_languages]
        for data in datas:
            partial = load_catalog(lazy=True)
            kept = partial.may_match(ids, [data])
            got = partial.match(lang, data, path="src/pkg/m", rule_ids=kept)
            assert got == whole.match(lang, data, path="src/pkg/m", rule_ids=ids), lang


def test_partial_queries_per_language_are_bounded() -> None:
    catalog = load_catalog(lazy=True)
    ids = sorted(r.id for r in catalog.rules if "python" in r.all_languages)
    source = (default_root() / "python" / "QPY005.py").read_bytes()
    for i in range(MAX_PARTIAL_QUERIES + 2):
        catalog.match("python", source, path="src/pkg/m.py", rule_ids=ids[: i + 1])
    assert sum(lang == "python" for lang, _ in catalog._partial) == MAX_PARTIAL_QUERIES
    assert "python" in catalog._compiled  # then the whole language's query, used from then on
    full = catalog._compiled["python"]
    catalog.match("python", source, path="src/pkg/m.py", rule_ids=ids[:1])
    assert catalog._compiled_for("python", frozenset(ids[:1])) is full
