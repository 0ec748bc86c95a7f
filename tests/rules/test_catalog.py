"""Walk the rule catalog: ids, docs, queries, and every fixture's expect/ok markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core import catalog as cat
from bot.core.catalog import Catalog, Rule, default_root, fixture_name, load_catalog, match_source

MARKER_RE = re.compile(r"(?:#|//)\s*(expect|ok):\s*(Q[A-Z]{2}\d{3}(?:\s*,\s*Q[A-Z]{2}\d{3})*)\s*$")

CATALOG = load_catalog()
RULES = list(CATALOG.rules)


def markers(text: str, rule_id: str) -> tuple[set[int], set[int]]:
    """(expect lines, ok lines) for ``rule_id`` in a fixture, 1-based."""
    expect: set[int] = set()
    ok: set[int] = set()
    for no, line in enumerate(text.splitlines(), start=1):
        m = MARKER_RE.search(line)
        if not m:
            continue
        ids = {s.strip() for s in m.group(2).split(",")}
        if rule_id in ids:
            (expect if m.group(1) == "expect" else ok).add(no)
    return expect, ok


def test_catalog_size_and_spread() -> None:
    by_lang: dict[str, int] = {}
    for r in RULES:
        by_lang[r.primary_language] = by_lang.get(r.primary_language, 0) + 1
    # 12 rules that ruff/oxlint cover were retired in favour of lint/* (rules/registry/lint.yml);
    # the catalog keeps what the linters lack (Go, diff-aware and project-specific rules).
    assert len(RULES) >= 20
    assert by_lang.get("python", 0) >= 12
    assert by_lang.get("javascript", 0) + by_lang.get("typescript", 0) >= 4
    assert by_lang.get("go", 0) >= 5


def test_ids_unique_well_formed_and_named_like_their_files() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)), "rule names must be unique too"
    for r in RULES:
        assert cat.ID_RE.match(r.id)
        assert CATALOG.source(r.id) == f"{r.primary_language}/{r.id}.yml"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docs_sections_present(rule: Rule) -> None:
    for section in ("what", "why", "example", "use_instead"):
        assert getattr(rule.docs, section).strip(), section
    assert "```" in rule.docs.example
    assert "```" in rule.docs.use_instead
    advice = rule.docs.suggestion()
    assert advice and not advice.startswith("```")
    assert rule.message.strip().endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_fixture_expect_and_ok_lines(rule: Rule) -> None:
    fixture = default_root() / fixture_name(rule)
    assert fixture.is_file(), f"missing fixture {fixture_name(rule)}"
    data = fixture.read_bytes()
    expect, ok = markers(data.decode("utf-8"), rule.id)
    assert expect, "fixture needs at least one '# expect:' line"
    assert ok, "fixture needs at least one '# ok:' line"
    assert not expect & ok
    path = f"src/pkg/{Path(fixture_name(rule)).name}"  # a non-test path, so skip_tests does not apply
    for lang in rule.all_languages:
        got = {m.line for m in match_source(rule, lang, data, path=path)}
        assert got - expect == set(), f"{lang}: unexpected matches on lines {sorted(got - expect)}"
        assert expect - got == set(), f"{lang}: expected matches missing on lines {sorted(expect - got)}"
        # The merged catalog query (what the agent runs) agrees with the per-rule query.
        merged = {m.line for m in CATALOG.match(lang, data, path=path, rule_ids=[rule.id])}
        assert merged == got


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_queries_compile_for_every_language(rule: Rule) -> None:
    from bot.core import treesitter

    for lang in rule.all_languages:
        q = treesitter.query(lang, rule.query)
        assert q.pattern_count >= 1


def test_skip_tests_rules_do_not_run_on_test_files() -> None:
    skipping = [r for r in RULES if r.skip_tests]
    assert skipping, "the assert rule at least must skip tests"
    for rule in skipping:
        data = (default_root() / fixture_name(rule)).read_bytes()
        ext = Path(fixture_name(rule)).suffix
        test_path = {".py": "tests/test_x.py", ".go": "pkg/x_test.go"}.get(ext, f"src/x.test{ext}")
        assert match_source(rule, rule.primary_language, data, path=test_path) == []


def _write_rule(root: Path, lang: str, rule_id: str, body: str) -> None:
    (root / lang).mkdir(parents=True, exist_ok=True)
    (root / lang / f"{rule_id}.yml").write_text(body, encoding="utf-8")


GOOD = """\
id: QPY901
name: demo-rule
language: python
severity: minor
message: Demo.
query: '(global_statement) @match'
docs:
  what: w
  why: y
  example: |
    ```python
    global x
    ```
  use_instead: |
    Do not.
    ```python
    x = 1
    ```
"""


def test_load_catalog_from_a_directory(tmp_path: Path) -> None:
    _write_rule(tmp_path, "python", "QPY901", GOOD)
    loaded = load_catalog(tmp_path)
    assert [r.id for r in loaded.rules] == ["QPY901"]
    assert loaded.rules_for("python")[0].docs.suggestion() == "Do not."
    assert loaded.rules_for("go") == []


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda s: s.replace("QPY901", "QPY9"), "QPY9"),
        (lambda s: s.replace("(global_statement)", "(no_such_node)"), "does not compile"),
        (lambda s: s.replace("@match", "@other"), "no @match"),
        (lambda s: s.replace("demo-rule", "Demo_Rule"), "kebab"),
        (lambda s: s.replace("severity: minor", "severity: huge"), "severity"),
        (lambda s: s + "surprise: 1\n", "surprise"),
        (lambda s: s.replace("  why: y\n", ""), "why"),
        (lambda s: s.replace("language: python", "language: cobol"), "cobol"),
        (lambda s: s.replace("    Do not.\n", ""), "advice"),
        (
            lambda s: s.replace("'(global_statement) @match'", "'(identifier) @match (#eq? @match \"x\")'"),
            "predicate outside a pattern group",
        ),
        (
            lambda s: s.replace(
                "'(global_statement) @match'", "'((identifier) @match (#not-any-of? @match \"a\" \"b\"))'"
            ),
            "not-any-of",
        ),
    ],
)
def test_bad_rule_is_rejected_naming_the_file(tmp_path: Path, mutate, fragment: str) -> None:  # noqa: ANN001
    _write_rule(tmp_path, "python", "QPY901", mutate(GOOD))
    with pytest.raises(ValueError) as info:
        load_catalog(tmp_path)
    assert "python/QPY901.yml" in str(info.value)
    assert fragment in str(info.value)


def test_duplicate_id_and_misplaced_rule_are_rejected(tmp_path: Path) -> None:
    _write_rule(tmp_path, "go", "QPY901", GOOD)
    with pytest.raises(ValueError, match="go/QPY901.yml"):
        load_catalog(tmp_path)
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([CATALOG.rules[0], CATALOG.rules[0]])


def test_file_not_match_exempts_go_main_packages() -> None:
    rule = CATALOG.get("QGO003")
    assert rule is not None
    src = b'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n}\n'
    assert match_source(rule, "go", src) == []
    assert [m.line for m in match_source(rule, "go", src.replace(b"package main", b"package lib"))] == [6]


def test_docs_generator_lists_every_rule() -> None:
    text = cat.render_docs(CATALOG)
    for r in RULES:
        assert f"## {r.id}" in text
        assert r.docs.suggestion() in text
    assert text.count("### Why is this bad?") == len(RULES)


def test_main_docs_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert cat.main(["--docs"]) == 0
    assert "# Quorum anti-pattern rules" in capsys.readouterr().out
    assert cat.main(["--check"]) == 0
    assert f"{len(RULES)} rules OK" in capsys.readouterr().out


def test_non_utf8_source_is_matched_line_for_line() -> None:
    rule = CATALOG.get("QPY016")
    assert rule is not None
    src = "x = 1  # caf\xe9\n# TODO: \xe9t\xe9\ny = 2\n".encode("latin-1")
    assert [m.line for m in match_source(rule, "python", src)] == [2]
    assert [m.line for m in CATALOG.match("python", src, rule_ids=["QPY016"])] == [2]


def test_where_inside_stops_at_function_boundaries() -> None:
    rule = CATALOG.get("QGO004")
    assert rule is not None
    src = b"package p\n\nfunc f() {\n\tfor {\n\t\tgo func() {\n\t\t\tdefer g()\n\t\t}()\n\t\tdefer h()\n\t}\n}\n"
    assert [m.line for m in match_source(rule, "go", src)] == [8]


def test_match_reports_line_span_and_text() -> None:
    rule = CATALOG.get("QPY005")
    assert rule is not None
    (m,) = match_source(rule, "python", b"def f():\n    print(\n        1,\n    )\n")
    assert (m.rule_id, m.line, m.end_line) == ("QPY005", 2, 4)
    assert m.text.startswith("print(")


def test_rules_for_tsx_includes_typescript_and_javascript_rules() -> None:
    ids = {r.id for r in CATALOG.rules_for("tsx")}
    assert {"QJS003", "QJS005"} <= ids
    assert not any(i.startswith("QPY") for i in ids)
    assert CATALOG.rules_for("c") == []


def _reported(data: bytes, matches: list, lines: set[int]) -> list[tuple[str, int, int, str, int]]:
    """What the anti_patterns catalog check reads from a match list: the matches overlapping
    ``lines``, each with its occurrence number among matches of its rule and line text."""
    from collections import Counter

    text_of = data.split(b"\n")
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for m in matches:
        text = text_of[m.line - 1].decode("utf-8", "replace").strip()
        seen[(m.rule_id, text)] += 1
        if any(m.line <= n <= m.end_line for n in lines):
            out.append((m.rule_id, m.line, m.end_line, text, seen[(m.rule_id, text)]))
    return out


@pytest.mark.parametrize("doubled", [False, True], ids=["fixture", "doubled"])
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_banded_match_reads_like_the_whole_file(rule: Rule, doubled: bool) -> None:
    """``Catalog.match(lines=)`` walks only the band of the given lines, yet every match overlapping
    them comes back with the occurrence number it has in the whole file (doubled: every match text
    occurs twice, so occurrence numbers matter and the whole file is read)."""
    fixture = (default_root() / fixture_name(rule)).read_bytes()
    data = fixture + b"\n" + fixture if doubled else fixture
    path = f"src/pkg/{Path(fixture_name(rule)).name}"
    n = data.count(b"\n") + 1
    for lang in rule.all_languages:
        whole = CATALOG.match(lang, data, path=path)
        assert whole, f"{lang}: the doubled fixture has no match"
        for start in range(1, n + 1, 3):
            lines = {start, start + 1, min(n, start + 5)}
            banded = CATALOG.match(lang, data, path=path, lines=lines)
            assert _reported(data, banded, lines) == _reported(data, whole, lines), (lang, sorted(lines))
        assert CATALOG.match(lang, data, path=path, lines=set()) == []


def test_banded_match_returns_only_the_band() -> None:
    source = b"".join(b"def f%d(x=[]):\n    return x\n\n" % i for i in range(40))
    whole = CATALOG.match("python", source, path="src/pkg/m.py", rule_ids=["QPY003"])
    assert len(whole) == 40
    banded = CATALOG.match("python", source, path="src/pkg/m.py", rule_ids=["QPY003"], lines={31, 32})
    assert [(m.line, m.rule_id) for m in banded] == [(31, "QPY003")]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_scattered_lines_read_like_the_whole_file(rule: Rule) -> None:
    """Lines far apart are walked as bands of their own (``BAND_GAP``); every match overlapping
    them still comes back with its whole-file occurrence number, also when its line text repeats
    outside the bands (the fixture four times over, with filler between the copies)."""
    from bot.core.catalog import BAND_GAP

    fixture = (default_root() / fixture_name(rule)).read_bytes()
    filler = b"\n" * (BAND_GAP + 3)
    data = filler.join([fixture] * 4)
    path = f"src/pkg/{Path(fixture_name(rule)).name}"
    n = data.count(b"\n") + 1
    step = fixture.count(b"\n") + 1 + len(filler)
    for lang in rule.all_languages:
        whole = CATALOG.match(lang, data, path=path)
        for start in range(1, step, 2):
            for lines in ({start, start + 2 * step}, {start, start + step, min(n, start + 3 * step + 1)}, {0, start + step}):
                banded = CATALOG.match(lang, data, path=path, lines=lines)
                assert _reported(data, banded, lines) == _reported(data, whole, lines), (lang, sorted(lines))


def test_bands_split_far_lines() -> None:
    from bot.core.catalog import BAND_GAP, _bands

    assert _bands([5, 1, 3, 3]) == [(1, 5)]
    assert _bands([1, 1 + BAND_GAP, 2 + 2 * BAND_GAP]) == [(1, 1 + BAND_GAP), (2 + 2 * BAND_GAP, 2 + 2 * BAND_GAP)]
    assert _bands([]) == []


def test_far_bands_do_not_walk_between() -> None:
    """Two changed lines 60 functions apart: only the two functions come back, not the ones between."""
    source = b"".join(b"def f%d(x=[]):\n    return x\n\n" % i for i in range(80))
    banded = CATALOG.match("python", source, path="src/pkg/m.py", rule_ids=["QPY003"], lines={4, 184})
    assert [(m.line, m.rule_id) for m in banded] == [(4, "QPY003"), (184, "QPY003")]
