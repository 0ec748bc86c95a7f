"""The logic sub-agent on real git repositories: risky edits in changed hunks."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.core.context import ReviewContext
from bot.core.models import Severity, Status
from subagents.logic import CONFIDENCE_NO_CODE, CONFIDENCE_OTHER, CONFIDENCE_PYTHON, CONFIDENCE_REGEX, LogicAgent
from subagents.logic_lines import classify_pair, tokens

Files = dict[str, "str | bytes | None"]


TEST_FILE = {"tests/test_app.py": "def test_placeholder():\n    assert True\n"}
TOUCH_TEST = {"tests/test_app.py": "def test_placeholder():\n    assert True is True\n"}


@pytest.fixture
def review(make_context: Callable[..., ReviewContext]) -> Callable:
    """``review(base, head) -> Verdict`` of the logic agent on a real repository. By default the
    head also touches a test file, so ``logic/untested-behaviour-change`` stays out of the way."""

    def run(base: Files, head: Files, *, with_test: bool = True, **ctx_kwargs):  # noqa: ANN202, ANN003
        if with_test:
            base, head = {**TEST_FILE, **base}, {**TOUCH_TEST, **head}
        return LogicAgent().review(make_context(base, head, title="change", **ctx_kwargs))

    return run


def rules(verdict) -> dict[str, list]:  # noqa: ANN001
    out: dict[str, list] = {}
    for f in verdict.findings:
        out.setdefault(f.rule_id, []).append(f)
    return out


def lines_of(verdict, rule: str) -> list[int | None]:  # noqa: ANN001
    return [f.line for f in verdict.findings if f.rule_id == rule]


APP = '''\
import logging

log = logging.getLogger(__name__)


def load(path, retries=3):
    if path is None:
        raise ValueError("path is required")
    for attempt in range(retries):
        try:
            return read(path)
        except OSError:
            log.warning("retrying %s", path)
    return None


def close(conn):
    if conn is not None:
        conn.close()
    return True
'''


def edit(old: str, new: str, text: str = APP) -> str:
    assert old in text, old
    return text.replace(old, new)


# --- logic/removed-guard --------------------------------------------------------------------------

def test_removed_guard_is_major_and_anchored_on_the_head(review) -> None:  # noqa: ANN001
    v = review({"src/app.py": APP}, {"src/app.py": edit('    if path is None:\n        raise ValueError("path is required")\n', "")})
    found = rules(v)["logic/removed-guard"]
    assert len(found) == 1
    assert found[0].severity is Severity.major and found[0].line == 7  # the head line now at that spot
    assert "if path is None:" in found[0].message
    assert v.status is Status.concern


def test_added_or_reworded_guard_is_not_a_removed_guard(review) -> None:  # noqa: ANN001
    added = review({"src/app.py": APP}, {"src/app.py": edit("def close(conn):\n", "def close(conn):\n    if conn is None:\n        return False\n")})
    assert "logic/removed-guard" not in rules(added)
    reworded = review({"src/app.py": APP}, {"src/app.py": edit('raise ValueError("path is required")', 'raise ValueError(f"path is required, got {path!r}")')})
    assert "logic/removed-guard" not in rules(reworded)
    moved = review({"src/app.py": APP}, {"src/app.py": edit('    if path is None:\n        raise ValueError("path is required")\n',
                                                           '    with lock:\n        if path is None:\n            raise ValueError("path is required")\n')})
    assert "logic/removed-guard" not in rules(moved)


def test_removed_none_check_and_assert(review) -> None:  # noqa: ANN001
    head = edit("    if conn is not None:\n        conn.close()\n", "    conn.close()\n")
    v = review({"src/app.py": APP}, {"src/app.py": head})
    assert [f.severity for f in rules(v)["logic/removed-guard"]] == [Severity.major]
    assert "None check" in rules(v)["logic/removed-guard"][0].message
    base = edit("def close(conn):\n", "def close(conn):\n    assert conn, 'no connection'\n")
    v2 = review({"src/app.py": base}, {"src/app.py": APP})
    assert "An assertion was removed" in rules(v2)["logic/removed-guard"][0].message


def test_deleting_a_whole_function_is_not_a_removed_guard(review) -> None:  # noqa: ANN001
    head = APP[: APP.index("def load")] + APP[APP.index("def close"):]
    v = review({"src/app.py": APP}, {"src/app.py": head})
    assert "logic/removed-guard" not in rules(v)


def test_removed_guard_reads_only_the_functions_that_lost_one(review, monkeypatch) -> None:  # noqa: ANN001
    """The guards of functions no changed line touches are not keyed (canonical streams): only the
    removed ones, their functions' (for the counts) and the added ones."""
    from subagents import logic_python  # noqa: PLC0415

    others = "".join(f"\n\ndef other_{i}(x):\n    if x is None:\n        raise ValueError('x')\n    return x\n" for i in range(25))
    base = APP + others
    head = edit('    if path is None:\n        raise ValueError("path is required")\n', "", base)
    keyed: list[int] = []
    real = logic_python._key

    def spy(node):  # noqa: ANN001, ANN202
        keyed.append(node.start_point[0] + 1)
        return real(node)

    monkeypatch.setattr(logic_python, "_key", spy)
    v = review({"src/app.py": base}, {"src/app.py": head})
    assert len(rules(v)["logic/removed-guard"]) == 1
    first_other = base.count("\n", 0, base.index("def other_0")) + 1
    assert keyed and all(line < first_other for line in keyed)


GO = '''\
package store

func Load(p string) (string, error) {
	data, err := read(p)
	if err != nil {
		return "", err
	}
	return data, nil
}
'''


def test_go_removed_error_check_and_reworded_one(review) -> None:  # noqa: ANN001
    removed = review({"store/load.go": GO}, {"store/load.go": edit('\tif err != nil {\n\t\treturn "", err\n\t}\n', "", GO)})
    found = rules(removed)["logic/removed-guard"]
    assert found and found[0].severity is Severity.major
    assert removed.confidence == CONFIDENCE_REGEX
    wrapped = review({"store/load.go": GO}, {"store/load.go": edit('return "", err', 'return "", fmt.Errorf("load %s: %w", p, err)', GO)})
    assert "logic/removed-guard" not in rules(wrapped)


def test_moved_deleted_and_renamed_go_code_is_not_flagged(review) -> None:  # noqa: ANN001
    two = GO + "\nfunc Other(p string) string {\n\tif p == \"\" {\n\t\treturn \"none\"\n\t}\n\treturn commandLine.Lookup(p)\n}\n"
    moved = review({"store/load.go": two}, {"store/load.go": GO, "store/other.go": "package store\n" + two[len(GO):]})
    deleted = review({"store/load.go": two}, {"store/load.go": GO})
    renamed = review({"store/load.go": two}, {"store/load.go": two.replace("commandLine", "CommandLine")})
    for v in (moved, deleted, renamed):
        assert not {"logic/removed-guard", "logic/changed-return"} & set(rules(v)), v.findings
    loop = "package a\n\nfunc F(fs []string) {\n\tfor _, f := range fs {\n\t\tuse(f)\n\t}\n}\n"
    retry = loop.replace("\t\tuse(f)\n", "\t\tv, err := parse(f)\n\t\tif err != nil {\n\t\t\tcontinue\n\t\t}\n\t\tuse(v)\n")
    assert "logic/swallowed-exception" not in rules(review({"a/f.go": loop}, {"a/f.go": retry}))


JS = '''\
export function name(user) {
  if (user === null) {
    throw new Error("no user");
  }
  return user?.profile.name;
}
'''


def test_js_removed_null_check_and_optional_chaining(review) -> None:  # noqa: ANN001
    head = edit('  if (user === null) {\n    throw new Error("no user");\n  }\n', "", JS).replace("user?.profile", "user.profile")
    v = review({"web/user.js": JS}, {"web/user.js": head})
    messages = [f.message for f in rules(v)["logic/removed-guard"]]
    assert any("user === null" in m for m in messages)
    assert any("null-safe access" in m for m in messages)


# --- conditions -------------------------------------------------------------------------------------

COND = '''\
def allowed(user, items, n):
    if user.role == "admin":
        return True
    if user.active and user.verified:
        return len(items) < n
    return items[: n - 1]
'''


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ('if user.role == "admin":', 'if user.role != "admin":', "logic/inverted-condition"),
        ("if user.active and user.verified:", "if not user.active and user.verified:", "logic/inverted-condition"),
        ("if user.active and user.verified:", "if user.active or user.verified:", "logic/loosened-condition"),
        ("if user.active and user.verified:", "if user.active and not user.verified:", "logic/inverted-condition"),
        ("return len(items) < n", "return len(items) <= n", "logic/boundary-change"),
        ("return items[: n - 1]", "return items[:n]", "logic/boundary-change"),
        ("if user.active and user.verified:", "if user.active:", "logic/loosened-condition"),
    ],
)
def test_condition_edits_are_major(review, old: str, new: str, rule: str) -> None:  # noqa: ANN001
    v = review({"src/auth.py": COND}, {"src/auth.py": edit(old, new, COND)})
    found = rules(v)[rule]
    assert [f.severity for f in found] == [Severity.major]
    head_lines = [ln.strip() for ln in edit(old, new, COND).splitlines()]
    assert found[0].line == head_lines.index(new.strip()) + 1
    assert old in found[0].message and new in found[0].message


def test_tightened_or_rewritten_conditions_are_not_flagged(review) -> None:  # noqa: ANN001
    tightened = review({"src/auth.py": COND}, {"src/auth.py": edit("if user.active and user.verified:", "if user.active and user.verified and not user.locked:", COND)})
    assert not {"logic/inverted-condition", "logic/loosened-condition", "logic/boundary-change"} & set(rules(tightened))
    renamed = review({"src/auth.py": COND}, {"src/auth.py": edit('if user.role == "admin":', 'if user.kind == "admin":', COND)})
    assert "logic/inverted-condition" not in rules(renamed)


def test_prose_in_comments_and_docstrings_is_not_a_condition(review) -> None:  # noqa: ANN001
    py = 'def f(a, b):\n    """Run when\n    a and b hold.\n    """\n    return a\n'
    js = "/**\n * Runs when a and b hold.\n */\nexport const f = (a) => a;\n"
    v = review({"src/f.py": py, "web/f.js": js},
               {"src/f.py": py.replace("    a and b hold.", "    a hold."), "web/f.js": js.replace(" * Runs when a and b hold.", " * Runs when a hold.")})
    assert v.findings == []


def test_token_pairs() -> None:
    assert tokens("x = a // 2  # note", "python") == ["x", "=", "a", "//", "2"]
    assert classify_pair("if (ok) {", "if (!ok) {", "javascript")[0] == "logic/inverted-condition"
    assert classify_pair("const y = x!.foo;", "const y = x.foo;", "typescript") is None  # TS non-null assertion
    assert classify_pair("if err != nil {", "if err == nil {", "go")[0] == "logic/inverted-condition"
    assert classify_pair("for i in range(n):", "for i in range(n + 1):", "python")[0] == "logic/boundary-change"
    assert classify_pair("x = y + 1", "x = y + 2", "python") is None
    assert classify_pair("x = f(a)", "x = g(a)", "python") is None


# --- logic/changed-constant -----------------------------------------------------------------------

CONST = '''\
TIMEOUT = 30
GREETING = "hello"
__version__ = "1.0"


class Client:
    MAX_RETRIES = 3

    def go(self):
        batch = 10
        return batch
'''


def test_changed_constants(review) -> None:  # noqa: ANN001
    head = CONST.replace("TIMEOUT = 30", "TIMEOUT = 5").replace('"hello"', '"hi"').replace('"1.0"', '"1.1"').replace("MAX_RETRIES = 3", "MAX_RETRIES = 0")
    v = review({"src/cfg.py": CONST}, {"src/cfg.py": head})
    got = {f.message.split("`")[1]: f.severity for f in rules(v)["logic/changed-constant"]}
    assert got == {"TIMEOUT": Severity.major, "GREETING": Severity.minor, "Client.MAX_RETRIES": Severity.major}


def test_local_variables_are_not_constants(review) -> None:  # noqa: ANN001
    v = review({"src/cfg.py": CONST}, {"src/cfg.py": CONST.replace("batch = 10", "batch = 20")})
    assert "logic/changed-constant" not in rules(v)


def test_regex_constants_in_go_and_js(review) -> None:  # noqa: ANN001
    go = "package c\n\nconst (\n\tdefaultTimeout = 30 * time.Second\n)\n\nfunc f() {\n\tx = 1\n}\n"
    js = "export const MAX_ITEMS = 10;\nfunction f() {\n  const local = 1;\n}\n"
    v = review({"c/c.go": go, "web/c.js": js},
               {"c/c.go": go.replace("30 *", "5 *").replace("x = 1", "x = 2"), "web/c.js": js.replace("10;", "100;").replace("local = 1", "local = 2")})
    got = {(f.path, f.message.split("`")[1]): f.severity for f in rules(v)["logic/changed-constant"]}
    assert got == {("c/c.go", "defaultTimeout"): Severity.major, ("web/c.js", "MAX_ITEMS"): Severity.major}


# --- logic/changed-return -------------------------------------------------------------------------

RET = '''\
def total(items):
    result = sum(items)
    if not items:
        return 0
    return result


def gen(n):
    for i in range(n):
        yield i
    return None
'''


def test_changed_return_value_removed_path_and_none(review) -> None:  # noqa: ANN001
    changed = review({"src/calc.py": RET}, {"src/calc.py": edit("    return result\n", "    return result * 2\n", RET)})
    assert [f.line for f in rules(changed)["logic/changed-return"]] == [5]
    removed = review({"src/calc.py": RET}, {"src/calc.py": edit("        return 0\n", "        print('empty')\n", RET)})
    assert "return path" in rules(removed)["logic/changed-return"][0].message
    guard = review({"src/calc.py": RET}, {"src/calc.py": edit("    if not items:\n        return 0\n", "", RET)})
    assert "logic/removed-guard" in rules(guard) and "logic/changed-return" not in rules(guard)  # one finding, not two
    none = review({"src/calc.py": RET}, {"src/calc.py": edit("    if not items:\n        return 0\n    return result\n", "    print(result)\n", RET)})
    assert "callers get None" in rules(none)["logic/changed-return"][0].message


def test_renamed_locals_and_generators_are_not_changed_returns(review) -> None:  # noqa: ANN001
    renamed = review({"src/calc.py": RET}, {"src/calc.py": RET.replace("result", "acc")})
    assert "logic/changed-return" not in rules(renamed)
    gen = review({"src/calc.py": RET}, {"src/calc.py": edit("    return None\n", "    return\n", RET)})
    assert "logic/changed-return" not in rules(gen)


def test_formatting_and_annotations_do_not_change_returns(review) -> None:  # noqa: ANN001
    base = "def pair(a, b):\n    if a:\n        return a, b\n    return b, a\n"
    head = "def pair(a: int, b: int) -> tuple[int, int]:\n    if a:\n        return (\n            a,\n            b,\n        )\n    return (b, a)\n"
    v = review({"src/pair.py": base}, {"src/pair.py": head})
    assert v.findings == []


def test_reworded_raise_is_not_a_removed_guard(review) -> None:  # noqa: ANN001
    base = "import typing as _t\n\n\ndef f(e):\n    raise _t.cast(ValueError, e)\n"
    head = "import typing as t\n\n\ndef f(e):\n    raise t.cast(TypeError, e)\n"
    v = review({"src/f.py": base}, {"src/f.py": head})
    assert "logic/removed-guard" not in rules(v)


def test_js_changed_return(review) -> None:  # noqa: ANN001
    js = "export function f(a, b) {\n  return a + b;\n}\n"
    v = review({"web/f.js": js}, {"web/f.js": js.replace("a + b", "a * b")})
    assert [f.severity for f in rules(v)["logic/changed-return"]] == [Severity.minor]
    kind = "export function ok(a) {\n  if (a) {\n    return true;\n  }\n  return false;\n}\n"
    v = review({"web/ok.js": kind}, {"web/ok.js": kind.replace("return true;", "return null;")})
    assert [f.severity for f in rules(v)["logic/changed-return"]] == [Severity.major]
    assert "a bool became a null" in rules(v)["logic/changed-return"][0].message


# --- logic/swallowed-exception --------------------------------------------------------------------

def test_swallowed_broad_and_narrow_exceptions(review) -> None:  # noqa: ANN001
    broad = review({"src/app.py": APP}, {"src/app.py": edit('        except OSError:\n            log.warning("retrying %s", path)\n', "        except Exception:\n            pass\n")})
    assert [f.severity for f in rules(broad)["logic/swallowed-exception"]] == [Severity.major]
    narrow = review({"src/app.py": APP}, {"src/app.py": edit('            log.warning("retrying %s", path)\n', "            return None\n")})
    assert [f.severity for f in rules(narrow)["logic/swallowed-exception"]] == [Severity.minor]


def test_bare_except_with_a_comment_is_broad(review) -> None:  # noqa: ANN001
    v = review({"src/app.py": APP}, {"src/app.py": edit('        except OSError:\n            log.warning("retrying %s", path)\n', "        except:  # best effort\n            pass\n")})
    assert [f.severity for f in rules(v)["logic/swallowed-exception"]] == [Severity.major]


def test_broadened_except_with_logging(review) -> None:  # noqa: ANN001
    v = review({"src/app.py": APP}, {"src/app.py": edit("except OSError:", "except Exception:")})
    found = rules(v)["logic/swallowed-exception"]
    assert [f.severity for f in found] == [Severity.major] and "broadened" in found[0].message


def test_logged_handler_is_not_swallowed_and_unchanged_code_is_ignored(review) -> None:  # noqa: ANN001
    base = APP + "\n\ndef quiet():\n    try:\n        run()\n    except Exception:\n        pass\n"
    head = edit('            log.warning("retrying %s", path)\n', '            log.warning("retrying %s (attempt %d)", path, attempt)\n', base)
    v = review({"src/app.py": base}, {"src/app.py": head})
    assert "logic/swallowed-exception" not in rules(v)


def test_handler_that_already_swallowed_is_not_new(review) -> None:  # noqa: ANN001
    base = "def ts(raw):\n    try:\n        value = int(raw)\n    except Exception:\n        value = None\n    return value\n"
    head = "def ts(raw):\n    value = None\n    try:\n        value = int(raw)\n    except Exception:\n        pass\n    return value\n"
    v = review({"src/ts.py": base}, {"src/ts.py": head})
    assert "logic/swallowed-exception" not in rules(v)
    logged = base.replace("        value = None\n", "        log.exception('bad')\n        value = None\n")
    v2 = review({"src/ts.py": logged}, {"src/ts.py": head})
    assert [f.severity for f in rules(v2)["logic/swallowed-exception"]] == [Severity.major]


def test_js_and_go_swallowed_errors(review) -> None:  # noqa: ANN001
    js = "export async function f() {\n  await g();\n}\n"
    go = "package a\n\nfunc F() error {\n\terr := g()\n\treturn err\n}\n"
    v = review(
        {"web/f.js": js, "a/f.go": go},
        {"web/f.js": js.replace("  await g();\n", "  try {\n    await g();\n  } catch (e) {}\n"),
         "a/f.go": go.replace("\treturn err\n", "\tif err != nil {\n\t\treturn nil\n\t}\n\treturn nil\n")},
    )
    assert sorted(f.path for f in rules(v)["logic/swallowed-exception"]) == ["a/f.go", "web/f.js"]


# --- logic/deleted-test ---------------------------------------------------------------------------

TESTS = '''\
import pytest


def test_add():
    assert 1 + 1 == 2


def test_sub():
    assert 2 - 1 == 1
    assert 1 - 1 == 0
'''


def test_deleted_test_function_file_and_skip(review) -> None:  # noqa: ANN001
    deleted = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": TESTS[: TESTS.index("def test_sub")]}, with_test=False)
    assert ["Test `test_sub` was deleted."] == [f.message for f in rules(deleted)["logic/deleted-test"]]
    gone = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": None}, with_test=False)
    assert [f.path for f in rules(gone)["logic/deleted-test"]] == ["tests/test_math.py"]
    skipped = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": edit("def test_add", "@pytest.mark.skip(reason='flaky')\ndef test_add", TESTS)}, with_test=False)
    assert lines_of(skipped, "logic/deleted-test") == [4]


def test_conditional_skips_and_new_test_files_are_not_deleted_tests(review) -> None:  # noqa: ANN001
    conditional = edit("def test_add():\n", "def test_add():\n    if not HAS_DB:\n        pytest.skip('needs a database')\n", TESTS)
    v = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": conditional}, with_test=False)
    assert "logic/deleted-test" not in rules(v)
    unconditional = edit("def test_add():\n", "def test_add():\n    pytest.skip('broken')\n", TESTS)
    v2 = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": unconditional}, with_test=False)
    assert lines_of(v2, "logic/deleted-test") == [5]
    new_file = review({}, {"tests/test_new.py": "import pytest\n\n\n@pytest.mark.skip\ndef test_later():\n    assert 1\n"}, with_test=False)
    assert "logic/deleted-test" not in rules(new_file)


def test_removed_asserts_and_renamed_test(review) -> None:  # noqa: ANN001
    fewer = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": edit("    assert 1 - 1 == 0\n", "", TESTS)}, with_test=False)
    assert "Assertions were removed" in rules(fewer)["logic/deleted-test"][0].message
    renamed = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": edit("def test_sub", "def test_subtract", TESTS)}, with_test=False)
    assert "logic/deleted-test" not in rules(renamed)
    more = review({"tests/test_math.py": TESTS}, {"tests/test_math.py": edit("    assert 1 - 1 == 0\n", "    assert 1 - 1 == 0\n    assert 0 - 1 == -1\n", TESTS)}, with_test=False)
    assert "logic/deleted-test" not in rules(more)


def test_renamed_js_test_and_swallowing_tests_are_fine(review) -> None:  # noqa: ANN001
    js = "describe('store', () => {\n  it('should presist store', () => {\n    expect(store()).toBe(1);\n  });\n});\n"
    v = review({"web/store.test.js": js}, {"web/store.test.js": js.replace("presist", "persist")}, with_test=False)
    assert "logic/deleted-test" not in rules(v)
    catching = "def test_raises():\n    try:\n        boom()\n    except ValueError:\n        pass\n"
    v2 = review({}, {"tests/test_boom.py": catching}, with_test=False)
    assert "logic/swallowed-exception" not in rules(v2)


def test_js_and_go_test_deletions_and_skips(review) -> None:  # noqa: ANN001
    js = "describe('math', () => {\n  it('adds', () => {\n    expect(add(1, 1)).toBe(2);\n  });\n});\n"
    go = "package m\n\nfunc TestAdd(t *testing.T) {\n\tif add(1, 1) != 2 {\n\t\tt.Fatal(\"bad\")\n\t}\n}\n"
    v = review(
        {"web/math.test.js": js, "m/math_test.go": go},
        {"web/math.test.js": js.replace("  it('adds'", "  it.skip('adds'"), "m/math_test.go": "package m\n"},
        with_test=False,
    )
    assert sorted(f.path for f in rules(v)["logic/deleted-test"]) == ["m/math_test.go", "web/math.test.js"]


# --- logic/untested-behaviour-change and confidence -----------------------------------------------

def test_untested_runtime_change(review) -> None:  # noqa: ANN001
    head = edit('log.warning("retrying %s", path)', 'log.info("retrying %s", path)')
    untested = review({"src/app.py": APP}, {"src/app.py": head}, with_test=False)
    assert [f.severity for f in rules(untested)["logic/untested-behaviour-change"]] == [Severity.minor]
    # an unrelated test edited beside the change does not cover it (issue 12: it used to)
    unrelated = review({"src/app.py": APP}, {"src/app.py": head})
    (f,) = rules(unrelated)["logic/untested-behaviour-change"]
    # ... and it does not soften the finding either: that test names nothing of the module
    assert f.severity is Severity.minor and "references none of the changed modules" in f.message
    # a changed test that uses the module's API (not the changed function) may exercise it: info
    via_api = {"tests/test_app.py": "def test_placeholder():\n    assert True\n\n\ndef test_close():\n    app.close(None)\n"}
    related = review({"src/app.py": APP, **TEST_FILE}, {"src/app.py": head, **via_api}, with_test=False)
    (g,) = rules(related)["logic/untested-behaviour-change"]
    assert g.severity is Severity.info and "do not exercise it" in g.message
    exercising = {"tests/test_app.py": "from app import load\n\n\ndef test_load(tmp_path):\n    assert load(tmp_path)\n"}
    tested = review({"src/app.py": APP, **TEST_FILE}, {"src/app.py": head, **exercising}, with_test=False)
    assert "logic/untested-behaviour-change" not in rules(tested)
    comment = review({"src/app.py": APP}, {"src/app.py": edit("def close(conn):\n", "def close(conn):\n    # Close the connection if there is one.\n")}, with_test=False)
    assert comment.findings == []


def test_docs_only_change_passes_with_high_confidence(review) -> None:  # noqa: ANN001
    v = review({"README.md": "# A\n", "src/app.py": APP}, {"README.md": "# A\n\nMore.\n"}, with_test=False)
    assert v.findings == [] and v.status is Status.passed
    assert v.confidence == CONFIDENCE_NO_CODE


def test_confidence_by_language(review) -> None:  # noqa: ANN001
    assert review({"src/app.py": APP}, {"src/app.py": APP + "\n"}).confidence == CONFIDENCE_PYTHON
    assert review({"a.go": GO}, {"a.go": GO + "\n"}).confidence == CONFIDENCE_REGEX
    assert review({"a.c": "int x;\n"}, {"a.c": "int x = 1;\n"}).confidence == CONFIDENCE_OTHER


def test_syntax_error_falls_back_to_lines(review) -> None:  # noqa: ANN001
    broken = APP.replace("def close(conn):", "def close(conn:") .replace("if conn is not None:", "if conn is None:")
    v = review({"src/app.py": APP}, {"src/app.py": broken})
    assert v.confidence == CONFIDENCE_REGEX
    assert "logic/inverted-condition" in rules(v)


def test_ids_are_stable_when_lines_move(review) -> None:  # noqa: ANN001
    head = edit("if conn is not None:", "if conn is None:")
    a = review({"src/app.py": APP}, {"src/app.py": head})
    b = review({"src/app.py": APP}, {"src/app.py": "\n\n" + head})
    fa, fb = rules(a)["logic/inverted-condition"][0], rules(b)["logic/inverted-condition"][0]
    assert fa.id == fb.id and fb.line == fa.line + 2


def test_deadline_marks_the_verdict_truncated(review) -> None:  # noqa: ANN001
    v = review({"src/app.py": APP}, {"src/app.py": edit("if conn is not None:", "if conn is None:")}, deadline=time.monotonic() - 1)
    assert v.truncated and v.findings == []
    assert any("deadline" in n for n in v.notes)


# --- tuning regressions (eval misses and false alarms) --------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "rule", "lang"),
    [
        ("    if (now >= token.expiresAt) {", "    if (now < token.expiresAt - EARLY_MS) {", "logic/inverted-condition", "typescript"),
        ("\tif !verify(stored, given) {", "\tif verify(stored, given) {", "logic/inverted-condition", "go"),
        ("    while start < size:", "    while start + chunk < size:", "logic/boundary-change", "python"),
        ("        if current and len(current) + 1 + len(word) > width:", "        if current and len(current) + len(word) > width:", "logic/boundary-change", "python"),
        ("    if balance - amount < -limit:", "    if balance - amount < -limit - 100:", "logic/boundary-change", "python"),
        ("    if user.id == order.owner_id and user.verified:", "    if user.id == order.owner_id or user.verified:", "logic/loosened-condition", "python"),
        ('  const name = user?.profile?.firstName ?? "there";', "  const name = user.profile.firstName;", "logic/removed-guard", "javascript"),
    ],
)
def test_classify_pair_tuned_edits(old: str, new: str, rule: str, lang: str) -> None:
    got = classify_pair(old, new, lang)
    assert got is not None and got[0] == rule


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    total = price * qty", "    total = price * qty + tax"),  # arithmetic, no comparison
        ("    if x!.ready {", "    if x.ready {"),  # TypeScript non-null assertion, not a negation
        ("    if should_hug:", "    if hug_this_leaf or should_hug:"),  # only an alternative: loosened, see below
        ("def redirect(location, code: int = 302, cls: type[Response] = R):", "def redirect(location, code: int = 303, cls: type[Response] = R):"),
        ("    retries = 3", "    retries = 4"),  # a changed value, not a boundary
    ],
)
def test_classify_pair_leaves_other_edits(old: str, new: str) -> None:
    got = classify_pair(old, new, "python")
    assert got is None or got[0] == "logic/loosened-condition"


def test_go_negation_removed_while_a_line_is_inserted(review) -> None:  # noqa: ANN001
    base = "package login\n\nfunc Check(s, g string, verify func(string, string) bool) bool {\n\tif !verify(s, g) {\n\t\treturn false\n\t}\n\treturn true\n}\n"
    head = base.replace("\tif !verify(s, g) {\n", "\tif verify(s, g) {\n\t\tlog.Printf(\"failed login\")\n")
    v = review({"login/login.go": base}, {"login/login.go": head})
    assert [(f.line, f.severity) for f in rules(v)["logic/inverted-condition"]] == [(4, Severity.major)]


BILL = '''\
def accounts_to_bill(accounts):
    due = []
    for account in accounts:
        if account.plan != "free":
            due.append(account)
    return due
'''


def test_added_clause_contradicting_the_title_is_inverted(make_context: Callable[..., ReviewContext]) -> None:
    head = BILL.replace('if account.plan != "free":', 'if account.plan != "free" and not account.active:')
    right = BILL.replace('if account.plan != "free":', 'if account.plan != "free" and account.active:')

    def run(text: str, title: str, body: str = "") -> dict[str, list]:
        ctx = make_context({"src/run.py": BILL}, {"src/run.py": text}, title=title, body=body, pr_title=title, pr_body=body)
        return rules(LogicAgent().review(ctx))

    wrong = run(head, "fix(billing): skip inactive accounts in the monthly run", "Only bill active ones.")
    assert [f.line for f in wrong["logic/inverted-condition"]] == [4]
    assert "`active`" in wrong["logic/inverted-condition"][0].message
    assert "logic/inverted-condition" not in run(right, "fix(billing): skip inactive accounts in the monthly run")
    assert "logic/inverted-condition" not in run(head, "fix(billing): bill closed accounts for their last month")


def test_and_to_or_is_loosened_and_an_added_alternative_is_minor(review) -> None:  # noqa: ANN001
    v = review({"src/auth.py": COND}, {"src/auth.py": edit("if user.active and user.verified:", "if user.active or user.verified:", COND)})
    assert [f.severity for f in rules(v)["logic/loosened-condition"]] == [Severity.major]
    v = review({"src/auth.py": COND}, {"src/auth.py": edit("if user.active and user.verified:", "if user.active and user.verified or user.staff:", COND)})
    assert [f.severity for f in rules(v)["logic/loosened-condition"]] == [Severity.minor]


def test_changed_return_severity(review) -> None:  # noqa: ANN001
    base = "def ok(x):\n    if x:\n        return True\n    return x > 2\n"
    flip = review({"src/chk.py": base}, {"src/chk.py": base.replace("return True", "return None")}, with_test=False)
    assert [f.severity for f in rules(flip)["logic/changed-return"]] == [Severity.major]
    assert "a bool became a None" in rules(flip)["logic/changed-return"][0].message
    raises = review({"src/chk.py": base}, {"src/chk.py": base.replace("return True", "raise ValueError(x)")}, with_test=False)
    assert [f.severity for f in rules(raises)["logic/changed-return"]] == [Severity.major]
    value = review({"src/chk.py": base}, {"src/chk.py": base.replace("return x > 2", "return x > 3")}, with_test=False)
    assert "logic/changed-return" not in rules(value) or [f.severity for f in rules(value)["logic/changed-return"]] == [Severity.minor]
    same = review({"src/chk.py": base}, {"src/chk.py": base.replace("return x > 2", "return abs(x) > 2")}, with_test=False)
    assert [f.severity for f in rules(same)["logic/changed-return"]] == [Severity.minor]


def test_changed_return_skipped_when_its_tests_change(review) -> None:  # noqa: ANN001
    base = {"src/shop/coupons.py": "def find_coupon(coupons, code):\n    return coupons.get(code.upper())\n",
            "tests/test_other.py": "def test_x():\n    assert 1\n"}
    head = {"src/shop/coupons.py": "def find_coupon(coupons, code):\n    return coupons.get(code.strip().upper())\n"}
    tested = review(base, {**head, "tests/test_coupons.py": "from shop.coupons import find_coupon\n\ndef test_strip():\n    assert find_coupon({'A': 1}, ' a ') == 1\n"}, with_test=False)
    assert "logic/changed-return" not in rules(tested)
    untested = review(base, {**head, "tests/test_other.py": "def test_x():\n    assert 2\n"}, with_test=False)
    assert [f.severity for f in rules(untested)["logic/changed-return"]] == [Severity.minor]
    alias = "def adjust(stock, sku, delta):\n    stock[sku] = stock.get(sku, 0) + delta\n    return stock[sku]\n"
    aliased = alias.replace("    stock[sku] = stock.get(sku, 0) + delta\n    return stock[sku]\n", "    level = stock.get(sku, 0) + delta\n    stock[sku] = level\n    return level\n")
    assert "logic/changed-return" not in rules(review({"src/stock.py": alias}, {"src/stock.py": aliased}))


REFACTORS = [
    ("def register(s, e):\n    e = e.strip().lower()\n    s[e] = 1\n    return s[e]\n",
     "def _norm(email):\n    return email.strip().lower()\n\n\ndef register(s, e):\n    e = _norm(e)\n    s[e] = 1\n    return s[e]\n"),
    ("def is_workday(day, holidays):\n    return not (day.weekday() >= 5 or day in holidays)\n",
     "def is_workday(day, holidays):\n    return day.weekday() < 5 and day not in holidays\n"),
    ("def deposit(a, amount):\n    if amount <= 0:\n        raise ValueError('x')\n    a.b += amount\n\n\ndef withdraw(a, amount):\n    if amount <= 0:\n        raise ValueError('x')\n    a.b -= amount\n",
     "def _check(amount):\n    if amount <= 0:\n        raise ValueError('x')\n\n\ndef deposit(a, amount):\n    _check(amount)\n    a.b += amount\n\n\ndef withdraw(a, amount):\n    _check(amount)\n    a.b -= amount\n"),
    ("from t import calc\n\n\ndef receipt(lines):\n    return f'Total: {calc(lines)}'\n",
     "from t import total\n\n\ndef receipt(lines):\n    return f'Total: {total(lines)}'\n"),
]


@pytest.mark.parametrize(("base", "head"), REFACTORS, ids=["extract-helper", "de-morgan", "guard-into-helper", "rename-in-fstring"])
def test_equivalent_refactors_raise_nothing(review, base: str, head: str) -> None:  # noqa: ANN001
    v = review({"src/mod.py": base}, {"src/mod.py": head}, with_test=False)
    if "calc" in base:  # a renamed import may call another function: only the return must not be flagged
        assert "logic/changed-return" not in rules(v)
    else:
        assert v.findings == []


def test_go_error_check_emptied_is_swallowed(review) -> None:  # noqa: ANN001
    base = "package c\n\nfunc Put(k string) error {\n\tif err := store(k); err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}\n"
    v = review({"c/c.go": base}, {"c/c.go": base.replace("\t\treturn err\n", "")})
    assert [(f.line, f.severity) for f in rules(v)["logic/swallowed-exception"]] == [(4, Severity.major)]
    assert "logic/changed-return" not in rules(v)  # one finding for the spot


def test_deleted_test_of_deleted_code_is_minor(review) -> None:  # noqa: ANN001
    base = {"src/fmt.py": "def row(n):\n    return str(n)\n\n\ndef legacy(n):\n    return n\n",
            "tests/test_fmt.py": "from fmt import legacy, row\n\n\ndef test_row():\n    assert row(1)\n\n\ndef test_legacy():\n    assert legacy(1) == 1\n",
            "tests/test_old.py": "from fmt import legacy\n\n\ndef test_old():\n    assert legacy(2)\n"}
    head = {"src/fmt.py": "def row(n):\n    return str(n)\n",
            "tests/test_fmt.py": "from fmt import row\n\n\ndef test_row():\n    assert row(1)\n", "tests/test_old.py": None}
    v = review(base, head, with_test=False)
    assert sorted((f.path, f.severity) for f in rules(v)["logic/deleted-test"]) == [
        ("tests/test_fmt.py", Severity.minor), ("tests/test_old.py", Severity.minor)]
    assert "logic/untested-behaviour-change" not in rules(v)  # removing code needs no new test
    kept = review(base, {"tests/test_fmt.py": head["tests/test_fmt.py"]}, with_test=False)
    assert [f.severity for f in rules(kept)["logic/deleted-test"]] == [Severity.major]


def test_js_test_replaced_by_an_unrelated_one_is_deleted(review) -> None:  # noqa: ANN001
    base = 'test("anonymous", () => {\n  expect(greeting(null)).toBe("Hello, there!");\n});\n'
    head = 'test("named", () => {\n  expect(greeting({ name: "Ann" })).toBe("Hello, Ann!");\n});\n'
    v = review({"src/greeting.test.js": base}, {"src/greeting.test.js": head}, with_test=False)
    assert ["anonymous" in f.message for f in rules(v)["logic/deleted-test"]] == [True]


def test_untested_change_is_major_when_its_existing_test_was_left_alone(review) -> None:  # noqa: ANN001
    base = {"src/search/rank.py": "def rank(results, query):\n    return sorted(results, key=lambda r: -r.score)\n",
            "tests/test_rank.py": "from search.rank import rank\n\n\ndef test_by_score():\n    assert rank([], 'x') == []\n"}
    head = {"src/search/rank.py": "def rank(results, query):\n    return sorted(results, key=lambda r: (r.title != query, -r.score))\n"}
    v = review(base, head, with_test=False)
    found = rules(v)["logic/untested-behaviour-change"]
    assert [f.severity for f in found] == [Severity.major]
    assert "`tests/test_rank.py` tests `rank()`" in found[0].message
    other = review({"src/search/rank.py": base["src/search/rank.py"]}, head, with_test=False)
    assert [f.severity for f in rules(other)["logic/untested-behaviour-change"]] == [Severity.minor]


def test_stale_test_needs_a_behaviour_title_and_a_distinctive_name(make_context: Callable[..., ReviewContext]) -> None:
    base = {"src/search/rank.py": "def rank(results, query):\n    return sorted(results)\n\n\ndef open(p):\n    return p\n",
            "tests/test_rank.py": "from search.rank import open, rank\n\n\ndef test_by_score():\n    assert rank([], 'x') == open([])\n"}

    def severity(head_src: str, title: str) -> Severity:
        v = LogicAgent().review(make_context(base, {"src/search/rank.py": head_src}, title=title, pr_title=title))
        return rules(v)["logic/untested-behaviour-change"][0].severity

    ranked = base["src/search/rank.py"].replace("sorted(results)", "sorted(results, reverse=True)")
    assert severity(ranked, "feat(search): best first") is Severity.major
    assert severity(ranked, "Drop support for Python 3.8") is Severity.minor
    opened = base["src/search/rank.py"].replace("return p\n", "return list(p)\n")
    assert severity(opened, "fix: open returns a list") is Severity.minor  # `open` is too generic to tell


def test_tests_moved_to_another_file_are_not_deleted(review) -> None:  # noqa: ANN001
    base = {"tests/test_helpers.py": "def test_json_dumps():\n    assert dumps(1) == '1'\n\n\ndef test_other():\n    assert 1\n"}
    head = {"tests/test_helpers.py": "def test_other():\n    assert 1\n",
            "tests/test_json.py": "def test_json_dumps():\n    assert dumps(1) == '1'\n"}
    assert "logic/deleted-test" not in rules(review(base, head, with_test=False))


def test_guard_removed_together_with_what_it_protected_is_not_flagged(review) -> None:  # noqa: ANN001
    base = ("def send(headers, size, path):\n    if size is not None:\n        headers['Length'] = size\n"
            "    if not exists(path):\n        raise NotFound()\n    data = read(path)\n    return data\n")
    both = "def send(headers, size, path):\n    return werkzeug_send(headers, path)\n"
    v = review({"src/send.py": base}, {"src/send.py": both})
    assert "logic/removed-guard" not in rules(v)
    kept = base.replace("    if size is not None:\n        headers['Length'] = size\n", "    headers['Length'] = size\n")
    kept = kept.replace("    if not exists(path):\n        raise NotFound()\n", "")
    v = review({"src/send.py": base}, {"src/send.py": kept})
    assert sorted(f.message.split(":")[0] for f in rules(v)["logic/removed-guard"]) == ["A None check was removed", "A guard was removed"]


def test_removed_deprecation_block_is_not_a_removed_none_check(review) -> None:  # noqa: ANN001
    base = ("def dumps(obj, app=None, indent=None):\n    if app is not None:\n        import warnings\n"
            "        warnings.warn('app is deprecated')\n    if indent is not None:\n        import warnings\n"
            "        warnings.warn('indent is deprecated')\n    return encode(obj)\n")
    head = base.replace("    if app is not None:\n        import warnings\n        warnings.warn('app is deprecated')\n", "")
    assert "logic/removed-guard" not in rules(review({"src/json.py": base}, {"src/json.py": head}))


def test_removed_multiline_deprecation_warning_is_not_a_removed_none_check(review) -> None:  # noqa: ANN001
    base = ("def open(path, as_tuple=None, mode=None):\n    if as_tuple is not None:\n        import warnings\n\n"
            "        warnings.warn(\n            'as_tuple is deprecated',\n            DeprecationWarning,\n        )\n"
            "    if mode is not None:\n        import warnings\n\n        warnings.warn(\n            'mode is deprecated',\n"
            "            DeprecationWarning,\n        )\n    return path\n")
    head = base.replace("    if as_tuple is not None:\n        import warnings\n\n        warnings.warn(\n            'as_tuple is deprecated',\n"
                        "            DeprecationWarning,\n        )\n", "")
    assert "logic/removed-guard" not in rules(review({"src/t.py": base}, {"src/t.py": head}))


def test_js_guard_rewritten_as_a_ternary_is_not_removed(review) -> None:  # noqa: ANN001
    base = "export function f(u) {\n  if (!u) {\n    return '';\n  }\n  return u.name;\n}\n"
    ternary = "export function f(u) {\n  return u ? u.name : '';\n}\n"
    assert "logic/removed-guard" not in rules(review({"web/f.js": base}, {"web/f.js": ternary}))
    dropped = "export function f(u) {\n  return u.name;\n}\n"
    assert "logic/removed-guard" in rules(review({"web/f.js": base}, {"web/f.js": dropped}))


def test_removed_deprecated_branch_with_else_is_not_a_removed_none_check(review) -> None:  # noqa: ANN001
    base = ("def dumps(obj, pretty=None, compact=None):\n    if pretty is not None:\n        import warnings\n\n"
            "        warnings.warn('pretty is deprecated')\n        compact = not pretty\n    else:\n        compact = DEFAULT\n"
            "    if compact is None or compact is False:\n        return encode(obj, indent=2)\n    return encode(obj)\n")
    head = ("def dumps(obj, pretty=None, compact=None):\n    if SELF_COMPACT is None or SELF_COMPACT is False:\n"
            "        return encode(obj, indent=2)\n    return encode(obj)\n")
    assert "logic/removed-guard" not in rules(review({"src/j.py": base}, {"src/j.py": head}))


# ------------------------------------------------------------- changed-return pairing (issue 10)
def test_changed_return_pairs_the_edited_return_not_a_new_guard() -> None:
    """A new early ``return None`` added above must not be paired with the return edited below it."""
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    base = {"app/f.py": "def f(x):\n    y = compute(x)\n    return y\n"}
    head = {"app/f.py": "def f(x):\n    if x is None:\n        return None\n    y = compute(x)\n    return y * 2\n"}
    (hit,) = [f for f in LogicAgent().analyze(memory_context(base, head)).findings if f.rule_id == "logic/changed-return"]
    assert hit.line == 5 and "`return y` became `return y * 2`" in hit.message


def test_a_test_counts_only_if_it_exercises_the_changed_code() -> None:
    """Issue 12: a trivially true test added to the module's own test file used to switch off
    logic/changed-return and logic/untested-behaviour-change. It must reference the changed code."""
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    src = "def rate(x):\n    if x > 10:\n        return 0.2\n    return 0.1\n\n\ndef other():\n    return 1\n"
    test = "from app.tax import rate\n\n\ndef test_rate():\n    assert rate(20) == 0.2\n"
    base = {"app/tax.py": src, "tests/test_tax.py": test}
    head_src = src.replace("return 0.2", "return 0.25")
    unrelated = test + "\n\ndef test_truth():\n    assert 1 + 1 == 2\n"
    got = {f.rule_id for f in LogicAgent().analyze(memory_context(base, {"app/tax.py": head_src, "tests/test_tax.py": unrelated})).findings}
    assert {"logic/changed-return", "logic/untested-behaviour-change"} <= got
    related = test + "\n\ndef test_rate_high():\n    assert rate(30) == 0.25\n"
    got = {f.rule_id for f in LogicAgent().analyze(memory_context(base, {"app/tax.py": head_src, "tests/test_tax.py": related})).findings}
    assert "logic/changed-return" not in got and "logic/untested-behaviour-change" not in got


def test_a_guard_moved_into_a_helper_in_a_new_module_is_not_a_removed_guard() -> None:
    """Issue 10: logic/removed-guard was major for a guard that moved into a new helper (another file)."""
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    base = {"app/pay.py": "def charge(order):\n    if order.total <= 0:\n        raise ValueError('empty order')\n"
                          "    return gateway.charge(order.total)\n"}
    head = {"app/pay.py": "from app.checks import check_order\n\n\ndef charge(order):\n    check_order(order)\n"
                          "    return gateway.charge(order.total)\n",
            "app/checks.py": "def check_order(o):\n    if o.total <= 0:\n        raise ValueError('empty order')\n"}
    rules = {f.rule_id for f in LogicAgent().analyze(memory_context(base, head)).findings}
    assert "logic/removed-guard" not in rules
    # the same guard simply deleted is still reported
    gone = {"app/pay.py": "def charge(order):\n    return gateway.charge(order.total)\n"}
    assert "logic/removed-guard" in {f.rule_id for f in LogicAgent().analyze(memory_context(base, gone)).findings}


@pytest.mark.parametrize(("lang_path", "base", "head", "line"), [
    # Go: a wrapping `if` became an early `continue` (urfave/cli #1448)
    ("src/flag.go",
     "package f\n\nfunc g(xs []int) {\n\tfor _, x := range xs {\n\t\tif x != 0 {\n\t\t\tuse(x)\n\t\t}\n\t}\n}\n",
     "package f\n\nfunc g(xs []int) {\n\tfor _, x := range xs {\n\t\tif x == 0 {\n\t\t\tcontinue\n\t\t}\n\t\tuse(x)\n\t}\n}\n", 5),
    # Python: De Morgan over a multi-line condition turned into an early return (click #2803)
    ("pkg/win.py",
     "def s(f, enc):\n    if (\n        f is not None\n        and enc in {'utf-8', None}\n    ):\n        return wrap(f)\n    return None\n",
     "def s(f, enc):\n    if (\n        f is None\n        or enc not in {'utf-8', None}\n    ):\n        return None\n    return wrap(f)\n", 3),
])
def test_guard_clause_rewrite_is_not_an_inverted_condition(lang_path: str, base: str, head: str, line: int) -> None:
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    ctx = memory_context({lang_path: base}, {lang_path: head}, title="Refactor g to an early exit")
    found = [(f.rule_id, f.line) for f in LogicAgent().analyze(ctx).findings]
    assert ("logic/inverted-condition", line) not in found


def test_an_inverted_early_exit_is_still_reported() -> None:
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    base = "package f\n\nfunc g(x *T) int {\n\tif x == nil {\n\t\treturn 0\n\t}\n\treturn x.n\n}\n"
    head = base.replace("x == nil", "x != nil")
    ctx = memory_context({"f/g.go": base}, {"f/g.go": head}, title="Tidy g")
    assert ("logic/inverted-condition", 4) in [(f.rule_id, f.line) for f in LogicAgent().analyze(ctx).findings]


def test_deleted_tests_in_a_change_that_adds_as_many_are_info() -> None:
    from bot.core.models import Severity
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    base = {"test/a.spec.js": "it(\"returns zero for no items\", () => {\n  expect(sum([])).toBe(0);\n});\n"}
    rewritten = {"test/a.spec.js": "it(\"sums an empty list to 0\", function () {\n  expect(sum([])).toBe(0);\n});\n"}
    found = [f for f in LogicAgent().analyze(memory_context(base, rewritten)).findings if f.rule_id == "logic/deleted-test"]
    assert found and all(f.severity is Severity.info and "probably rewritten" in f.message for f in found)
    dropped = {"test/a.spec.js": "// nothing left\n"}
    found = [f for f in LogicAgent().analyze(memory_context(base, dropped)).findings if f.rule_id == "logic/deleted-test"]
    assert found and all(f.severity is Severity.major for f in found)


@pytest.mark.parametrize(("path", "base", "head"), [
    # typing only (click #2805, starlette #1712): annotations, TYPE_CHECKING imports, cast()
    ("app/core.py", "def f(x, y=None):\n    return g(x) or y\n",
     "from __future__ import annotations\nfrom typing import TYPE_CHECKING, cast\n\nif TYPE_CHECKING:\n    from app.t import T\n\n\n"
     "def f(x: int, y: T | None = None) -> int:\n    return cast(int, g(x)) or y\n"),
    ("types/index.d.ts", "export declare function f(x: number): string;\n", "export declare function f(x: number | string): string;\n"),
    ("_examples/custom/main.go", "package main\n\nfunc main() {\n\tprintln(1)\n}\n", "package main\n\nfunc main() {\n\tprintln(2)\n}\n"),
    (".eslintrc.js", "module.exports = { rules: { 'no-var': 2 } };\n", "module.exports = { rules: { 'no-var': 0 } };\n"),
])
def test_no_untested_behaviour_change_for_types_examples_and_tool_config(path: str, base: str, head: str) -> None:
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    found = {f.rule_id for f in LogicAgent().analyze(memory_context({path: base}, {path: head})).findings}
    assert "logic/untested-behaviour-change" not in found


def test_a_real_change_next_to_annotations_is_still_untested() -> None:
    from bot.testing.fake_tree import memory_context
    from subagents.logic import LogicAgent

    base = "def f(x, y=None):\n    return g(x) or y\n"
    head = "def f(x: int, y: int | None = None) -> int:\n    return g(x) and y\n"
    found = {f.rule_id for f in LogicAgent().analyze(memory_context({"app/core.py": base}, {"app/core.py": head})).findings}
    assert "logic/untested-behaviour-change" in found
