"""The anti_patterns sub-agent on real git repositories (base commit + head commit)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.core.catalog import default_catalog
from bot.core.context import ReviewContext
from bot.core.models import Severity, Status
from bot.lint import ExternalLinters
from subagents.anti_patterns import CONFIDENCE_FULL, AntiPatternsAgent
from subagents.checks.anti_patterns.catalog import CONFIDENCE_PARTIAL

Files = dict[str, "str | bytes | None"]

@pytest.fixture
def review(make_context: Callable[..., ReviewContext]) -> Callable[..., ReviewContext]:
    """``review(base_files, head_files, **ctx_kwargs) -> ReviewContext`` (see ``make_context``), with
    the real ruff/oxlint runner as the pipeline gives it (the lint checks are part of this agent)."""

    def make(base: Files, head: Files, **kwargs: object) -> ReviewContext:
        kwargs.setdefault("linters", ExternalLinters())
        return make_context(base, head, **kwargs)

    return make


@pytest.fixture(scope="module")
def agent() -> AntiPatternsAgent:
    return AntiPatternsAgent()


def by_rule(findings) -> dict[str, list[int]]:  # noqa: ANN001
    out: dict[str, list[int]] = {}
    for f in findings:
        out.setdefault(f.rule_id, []).append(f.line)
    return out


PY_BASE = """\
import os


def legacy(items=[]):
    try:
        return items[0]
    except:
        print("empty")
        return None
"""

PY_HEAD = """\
import os


def legacy(items=[]):
    try:
        return items[0]
    except:
        print("empty")
        return None


def fresh(tags={}):
    if tags == None:
        breakpoint()
    try:
        return tags["a"]
    except:
        return 0
"""


def test_only_added_lines_are_reported(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    ctx = review({"pkg/mod.py": PY_BASE}, {"pkg/mod.py": PY_HEAD})
    analysis = agent.analyze(ctx)
    got = by_rule(analysis.findings)
    # Lines 4, 7, 8 hold the same violations in the base: they are not reported.
    assert got == {"QPY003": [12], "lint/ruff/e711": [13], "lint/ruff/t100": [14], "lint/ruff/e722": [17]}
    assert all(f.path == "pkg/mod.py" and f.agent == "anti_patterns" for f in analysis.findings)
    assert analysis.confidence == CONFIDENCE_FULL
    assert not analysis.truncated


def test_finding_shape_follows_the_rule(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    ctx = review({"a.py": "x = 1\n"}, {"a.py": "x = 1\nasync def f():\n    time.sleep(1)\n"})
    (finding,) = [f for f in agent.analyze(ctx).findings if f.rule_id == "QPY010"]
    rule = default_catalog().get("QPY010")
    assert rule is not None
    assert finding.severity is Severity.major
    assert finding.message == rule.message
    assert finding.suggestion == rule.docs.use_instead.strip().splitlines()[0]
    assert (finding.line, finding.end_line) == (3, 3)
    verdict = agent.review(ctx)
    assert verdict.status is Status.concern  # major -> concern: never approved


def test_lint_finding_shape_follows_the_registry(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    from bot.core.registry import default_registry

    ctx = review({"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"})
    (finding,) = agent.analyze(ctx).findings
    rule = default_registry().require("lint/ruff/t100")
    assert finding.rule_id == rule.id and finding.severity is rule.severity is Severity.major
    assert finding.message.startswith("T100: ") and (finding.line, finding.path) == (2, "a.py")
    assert finding.evidence == ["https://docs.astral.sh/ruff/rules/debugger"]
    assert agent.review(ctx).status is Status.concern


def test_a_linter_that_cannot_run_fails_closed(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    class Broken:
        def lint(self, tool, files, rules):  # noqa: ANN001, ANN201
            raise RuntimeError("ruff crashed")

    ctx = review({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, linters=Broken())
    analysis = agent.analyze(ctx)
    assert analysis.truncated
    assert any("ruff could not check" in n and "ruff crashed" in n for n in analysis.notes)
    assert agent.review(ctx).truncated


class _Recording:
    """The real linters, recording the contents of each run's files."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, ...]] = []

    def lint(self, tool, files, rules):  # noqa: ANN001, ANN201
        self.runs.append(tuple(sorted(files.values())))
        return ExternalLinters().lint(tool, files, rules)


def test_the_base_is_linted_only_when_a_head_diagnostic_is_on_an_added_line(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    # A head diagnostic on an added line: the base is linted too (after the head).
    linters = _Recording()
    analysis = agent.analyze(review({"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, linters=linters))
    assert linters.runs == [("x = 1\nbreakpoint()\n",), ("x = 1\n",)]
    assert [f.rule_id for f in analysis.findings] == ["lint/ruff/t100"] and not analysis.truncated
    # A head diagnostic on an unchanged line only: it cannot be reported, the base is not linted.
    linters = _Recording()
    base, head = "breakpoint()\nx = 1\n", "breakpoint()\nx = 2\n"
    analysis = agent.analyze(review({"a.py": base}, {"a.py": head}, linters=linters))
    assert linters.runs == [(head,)]
    assert not analysis.findings and not analysis.truncated
    assert any(n.startswith("ruff: ") and n.endswith(" on 1 file(s), 0 new diagnostic(s)") for n in analysis.notes)


def test_a_base_linter_error_fails_closed_when_the_base_is_needed(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    class BaseBroken:
        def lint(self, tool, files, rules):  # noqa: ANN001, ANN201
            if "breakpoint()\n" not in "".join(files.values()):
                raise RuntimeError("base run failed")
            return ExternalLinters().lint(tool, files, rules)

    analysis = agent.analyze(review({"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, linters=BaseBroken()))
    assert analysis.truncated and any("base run failed" in n for n in analysis.notes)


def test_the_heads_linter_error_is_the_one_reported(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    """When the head's run fails, the note gives its error (the base is then not linted)."""

    class BothBroken:
        def lint(self, tool, files, rules):  # noqa: ANN001, ANN201
            if "x = 2\n" in files.values():
                raise RuntimeError("head run failed")
            raise RuntimeError("base run failed")

    analysis = agent.analyze(review({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, linters=BothBroken()))
    assert analysis.truncated
    assert any("head run failed" in n for n in analysis.notes)
    assert not any("base run failed" in n for n in analysis.notes)


def test_finding_ids_are_stable_and_distinct_for_repeated_lines(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    head = "def f():\n    print(1)\n    print(1)\n"
    first = agent.analyze(review({"m.py": "def f():\n    pass\n"}, {"m.py": head})).findings
    assert [f.line for f in first] == [2, 3]
    assert len({f.id for f in first}) == 2
    # The same code shifted down by an unrelated added line keeps its ids.
    moved = agent.analyze(review({"m.py": "def f():\n    pass\n"}, {"m.py": "# header\n" + head})).findings
    assert [f.line for f in moved] == [3, 4]
    assert [f.id for f in moved] == [f.id for f in first]


def test_multiline_match_is_reported_when_an_inner_line_is_added(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    base = "def f():\n    print(\n        1,\n    )\n"
    head = "def f():\n    print(\n        1,\n        2,\n    )\n"
    findings = agent.analyze(review({"m.py": base}, {"m.py": head})).findings
    assert [(f.rule_id, f.line, f.end_line) for f in findings] == [("QPY005", 2, 5)]


GO_PUT = """\
package cache

func Put(dir, key string, value []byte) ([]byte, error) {
	if err := Store(dir, key, value); err != nil {
		return nil, err
	}
	if err := Flush(dir); err != nil {
	}
	return value, nil
}
"""


def test_match_enclosing_a_removed_only_block_is_reported(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    # Deleting the ``return`` leaves an empty error check (QGO005) although no line was added.
    head = GO_PUT.replace("\t\treturn nil, err\n", "")
    findings = agent.analyze(review({"cache/cache.go": GO_PUT}, {"cache/cache.go": head})).findings
    # The pre-existing empty check on lines 6-7 (head) encloses no change: not reported.
    assert [(f.rule_id, f.line, f.end_line) for f in findings] == [("QGO005", 4, 5)]


def test_removal_next_to_a_match_but_not_inside_it_is_not_reported(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    base = GO_PUT.replace("\treturn value, nil\n", "\tlog(dir)\n\treturn value, nil\n")
    # ``log(dir)`` sat right after the pre-existing empty check: the removal touches it, not its inside.
    assert agent.analyze(review({"cache/cache.go": base}, {"cache/cache.go": GO_PUT})).findings == []


def test_assert_rule_skips_test_files(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    code = "def check(x):\n    assert x > 0\n    return x\n"
    on = {"anti_patterns": {"enable": ["QPY004"]}}  # off by default (measured precision, evals/RESULTS.md)
    ctx = review({"README.md": "hi\n"}, {"src/app/check.py": code, "tests/test_check.py": code}, options=on)
    got = {(f.path, f.rule_id) for f in agent.analyze(ctx).findings}
    assert got == {("src/app/check.py", "QPY004")}
    default = review({"README.md": "hi\n"}, {"src/app/check.py": code})
    assert "QPY004" not in {f.rule_id for f in agent.analyze(default).findings}


def test_javascript_typescript_tsx_and_go(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    head: Files = {
        "web/app.js": "var n = 1;\nif (n == '1') { debugger; }\n",
        "web/types.ts": "export function f(x: any): string {\n  return x!.name;\n}\n",
        "web/View.tsx": "export const V = (p: any) => <div>{p.name}</div>;\n",
        "go/lib/store.go": (
            "package lib\n\nfunc Save(names []string) {\n\tfor _, n := range names {\n"
            "\t\tdefer close(n)\n\t}\n\t_ = f.Close()\n}\n"
        ),
    }
    findings = agent.analyze(review({"README.md": "x\n"}, head)).findings
    got = {(f.path, f.rule_id, f.line) for f in findings}
    # var / any / `!` (oxlint no-var, no-explicit-any, no-non-null-assertion) are off by default
    assert got == {
        ("web/app.js", "QJS001", 2),
        ("web/app.js", "lint/oxlint/eslint/no-debugger", 2),
        ("go/lib/store.go", "QGO004", 5),
        ("go/lib/store.go", "QGO001", 7),
    }
    enabled = {"anti_patterns": {"enable": ["lint/oxlint/eslint/no-var", "lint/oxlint/typescript/"]}}
    findings = agent.analyze(review({"README.md": "x\n"}, head, options=enabled)).findings
    got = {(f.path, f.rule_id, f.line) for f in findings}
    assert {("web/app.js", "lint/oxlint/eslint/no-var", 1), ("web/types.ts", "lint/oxlint/typescript/no-explicit-any", 1),
            ("web/types.ts", "lint/oxlint/typescript/no-non-null-assertion", 2),
            ("web/View.tsx", "lint/oxlint/typescript/no-explicit-any", 1)} <= got


def test_go_main_package_is_exempt_from_library_rules(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    main = 'package main\n\nfunc main() {\n\tfmt.Println("hi")\n\tpanic("x")\n}\n'
    lib = main.replace("package main", "package tool").replace("func main()", "func Run()")
    on = {"anti_patterns": {"enable": ["QGO002"]}}  # off by default (measured precision)
    findings = agent.analyze(review({"x.md": "x\n"}, {"cmd/tool/main.go": main, "tool/run.go": lib}, options=on)).findings
    assert {(f.path, f.rule_id) for f in findings} == {("tool/run.go", "QGO003"), ("tool/run.go", "QGO002")}


def test_non_utf8_and_binary_files_do_not_crash(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    latin1 = "# caf\xe9\ndef f(x=[]):\n    return x\n".encode("latin-1")
    binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    fake_py = b"import os\x00\x01\x02\nbreakpoint()\n\x00"
    ctx = review({"x.md": "x\n"}, {"legacy.py": latin1, "logo.png": binary, "blob.py": fake_py})
    analysis = agent.analyze(ctx)
    assert {(f.path, f.rule_id, f.line) for f in analysis.findings} == {("legacy.py", "QPY003", 2)}
    assert ctx.diff.file("blob.py") is not None and ctx.diff.file("blob.py").is_binary


def test_uncovered_code_language_lowers_confidence(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    ctx = review({"x.md": "x\n"}, {"src/fast.c": "int main(void) { return 0; }\n", "a.py": "x = 1\n"})
    analysis = agent.analyze(ctx)
    assert analysis.confidence == CONFIDENCE_PARTIAL
    assert any("src/fast.c" in n for n in analysis.notes)
    docs_only = agent.analyze(review({"x.md": "x\n"}, {"x.md": "y\n", "data.json": "{}\n"}))
    assert docs_only.confidence == CONFIDENCE_FULL
    assert docs_only.notes == []
    assert not any("src/fast.c" in n for n in agent.analyze(review({"x.md": "x\n"}, {"a.py": "x = 1\n"})).notes)


def test_oversized_file_is_skipped_and_marked_truncated(review) -> None:  # noqa: ANN001
    small = AntiPatternsAgent(max_file_bytes=64)
    head = "breakpoint()\n" + "x = 1\n" * 20
    ctx = review({"x.md": "x\n"}, {"big.py": head, "ok.py": "breakpoint()\n"})
    analysis = small.analyze(ctx)
    assert [f.path for f in analysis.findings] == ["ok.py"]
    assert analysis.truncated
    assert any("big.py" in n and "truncated" in n for n in analysis.notes)
    assert small.review(ctx).truncated


def test_deleted_files_and_pure_deletions_are_not_parsed(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    base = {"gone.py": "breakpoint()\n", "kept.py": "breakpoint()\nx = 1\n"}
    ctx = review(base, {"gone.py": None, "kept.py": "breakpoint()\n"})
    analysis = agent.analyze(ctx)
    assert analysis.findings == []
    assert not analysis.truncated


def test_disable_option_and_unknown_ids(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    ctx = review(
        {"x.md": "x\n"},
        {"a.py": "def f(x=[]):\n    breakpoint()\n"},
        options={"anti_patterns": {"disable": ["lint/ruff/t100"]}},
    )
    analysis = agent.analyze(ctx)
    assert [f.rule_id for f in analysis.findings] == ["QPY003"]
    # an unknown id is an error now (it used to be a note), naming the nearest valid ids
    with pytest.raises(ValueError, match="QZZ999"):
        review({"x.md": "x\n"}, {"a.py": "x = 1\n"}, options={"anti_patterns": {"disable": ["QZZ999"]}})


def test_disable_by_tag_and_misspelt_option_key(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    ctx = review({"x.md": "x\n"}, {"a.py": "def f(x=[]):\n    breakpoint()\n"},
                 options={"anti_patterns": {"disable": "tag:debugging"}})
    assert [f.rule_id for f in agent.analyze(ctx).findings] == ["QPY003"]
    with pytest.raises(ValueError, match=r"disabled: unknown option \(valid options of anti_patterns: disable, enable\)"):
        review({"x.md": "x\n"}, {"a.py": "x = 1\n"}, options={"anti_patterns": {"disabled": ["QPY010"]}})


def test_deadline_passed_marks_truncated(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    ctx = review({"x.md": "x\n"}, {"a.py": "breakpoint()\n"}, deadline=time.monotonic() - 1.0)
    analysis = agent.analyze(ctx)
    assert analysis.truncated
    assert analysis.findings == []
    assert any("deadline" in n for n in analysis.notes)


def test_generated_minified_and_vendored_files_are_skipped(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    minified = "var a=1;" * 1000 + "\n"
    head: Files = {
        "api/types.pb.go": "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage api\n\nfunc f() { panic(1) }\n",
        "static/app.min.js": "debugger;\n",
        "static/app.js": minified,
        "vendor/github.com/x/y.go": "package y\n\nfunc f() { panic(1) }\n",
        "src/real.js": "debugger;\n",
    }
    analysis = agent.analyze(review({"x.md": "x\n"}, head))
    assert [(f.path, f.rule_id) for f in analysis.findings] == [("src/real.js", "lint/oxlint/eslint/no-debugger")]
    (note,) = [n for n in analysis.notes if "generated" in n]
    assert "skipped 4 " in note
    assert analysis.confidence == CONFIDENCE_FULL


def test_findings_are_capped_per_rule_and_file(review, agent: AntiPatternsAgent) -> None:  # noqa: ANN001
    from subagents.checks.anti_patterns.catalog import MAX_PER_RULE_PER_FILE

    head = "".join(f"console.log({i});\n" for i in range(MAX_PER_RULE_PER_FILE + 7)) + "x == 1;\n"
    analysis = agent.analyze(review({"x.md": "x\n"}, {"legacy.js": head}))
    got = by_rule(analysis.findings)
    assert len(got["QJS003"]) == MAX_PER_RULE_PER_FILE
    assert got["QJS001"] == [MAX_PER_RULE_PER_FILE + 8]
    assert any("7 further match(es)" in n and "QJS003 in legacy.js x7" in n for n in analysis.notes)


# ------------------------------------------------------------------ noise (issue 10)
def test_no_explicit_any_in_declaration_files() -> None:
    from bot.testing.fake_tree import memory_context

    ctx = memory_context({"types/x.ts": "export {};\n"},
                         {"types/lib.d.ts": "export declare function f(x: any): any;\n",
                          "src/a.ts": "export function g(x: any) { return x; }\n"},
                         linters=ExternalLinters(),
                         options={"anti_patterns": {"enable": ["lint/oxlint/typescript/no-explicit-any"]}})
    found = [(f.rule_id, f.path) for f in AntiPatternsAgent().analyze(ctx).findings]
    assert ("lint/oxlint/typescript/no-explicit-any", "src/a.ts") in found
    assert not any(p == "types/lib.d.ts" for _, p in found)


def test_a_revert_reports_restored_matches_as_info() -> None:
    """A revert restores code that was there before: its catalog matches are info, not minor findings."""
    from bot.testing.fake_tree import memory_context
    from subagents.checks.anti_patterns._files import is_revert

    base = {"src/a.ts": "export const n = 1;\n"}
    head = {"src/a.ts": "export const n = 1;\nexport function g(x: any) { return x!; }\n"}
    body = "This reverts commit 0123456789abcdef0123456789abcdef01234567."
    on = {"anti_patterns": {"enable": ["lint/oxlint/typescript/"]}}
    ctx = memory_context(base, head, title='Revert "Type g precisely"', body=body, linters=ExternalLinters(), options=on)
    found = AntiPatternsAgent().analyze(ctx).findings
    assert {f.rule_id for f in found} >= {"lint/oxlint/typescript/no-explicit-any", "lint/oxlint/typescript/no-non-null-assertion"}
    assert all(f.severity is Severity.info and "restored by this revert" in f.message for f in found)
    plain = AntiPatternsAgent().analyze(memory_context(base, head, title="Loosen g", body=body,
                                                       linters=ExternalLinters(), options=on)).findings
    assert all(f.severity is Severity.minor for f in plain)
    assert is_revert('Revert "x"', "Reverts octo/repo#12")
    assert not is_revert("Revert the parser change", "")


def test_go_ignored_error_only_when_the_discarded_result_is_an_error() -> None:
    """QGO001 used to fire whenever a call's last result was discarded, whatever its type."""
    from bot.testing.fake_tree import memory_context

    src = ("package lib\n\nfunc find(k string) (int, bool) { return 0, false }\n\n"
           "func load(p string) (int, error) { return 0, nil }\n\n"
           "func Use() int {\n\tn, _ := find(\"k\")\n\tm, _ := load(\"p\")\n\tv, _ := cache.Get(\"k\")\n"
           "\tp, _ := strconv.Atoi(\"1\")\n\treturn n + m + v + p\n}\n")
    ctx = memory_context({"README.md": "x\n"}, {"lib/use.go": src})
    lines = sorted(f.line for f in AntiPatternsAgent().analyze(ctx).findings if f.rule_id == "QGO001")
    assert lines == [9, 11]  # load() returns an error last, strconv.Atoi too; find() and cache.Get do not


def test_a_mutable_default_that_the_function_mutates_is_major() -> None:
    from bot.testing.fake_tree import memory_context

    src = ("def add_tag(tag, tags=[]):\n    tags.append(tag.lower())\n    return tags\n\n\n"
           "def show(tag, opts={}):\n    return opts.get(tag)\n")
    found = {f.line: f for f in AntiPatternsAgent().analyze(memory_context({"x.md": "x\n"}, {"a.py": src})).findings
             if f.rule_id == "QPY003"}
    assert found[1].severity is Severity.major and "mutates `tags`" in found[1].message
    assert found[6].severity is Severity.minor  # read only: still a smell, not a shared-state bug


def test_a_mutated_default_deep_in_a_file_is_found() -> None:
    """Far from the top of a file (only the lines around the match are decoded): the function
    that mutates its default is major, its read-only twin minor, a mutation past the function's
    end does not count."""
    from bot.testing.fake_tree import memory_context

    filler = "".join(f"X{i} = {i}\n" for i in range(120))
    src = (filler + "def add_tag(tag, tags=[]):\n" + "    n = 1\n" * 60 + "    tags.append(tag)\n    return tags\n\n\n"
           "def show(tag, opts={}):\n    return opts.get(tag)\n\n\nopts.update(a=1)\n")
    found = {f.line: f for f in AntiPatternsAgent().analyze(memory_context({"x.md": "x\n"}, {"a.py": src})).findings
             if f.rule_id == "QPY003"}
    assert found[121].severity is Severity.major and "mutates `tags`" in found[121].message
    assert found[186].severity is Severity.minor
