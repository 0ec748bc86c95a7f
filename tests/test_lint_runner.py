"""ruff and oxlint run on copies outside the repository, with our configuration only, and only new
diagnostics on changed lines are kept."""

from __future__ import annotations

import pytest

from bot.lint import runner as linters
from bot.lint.runner import Diagnostic, LinterError, new_in_head, run_oxlint, run_ruff


def test_ruff_reports_undefined_name_with_upstream_url() -> None:
    found = run_ruff({"pkg/mod.py": "def f(x):\n    return y + x\n"}, ["F821"])
    assert [(d.code, d.path, d.line) for d in found] == [("F821", "pkg/mod.py", 2)]
    assert found[0].url.startswith("https://docs.astral.sh/ruff/rules/")


def test_ruff_ignores_configuration_shipped_with_the_files() -> None:
    """A PR's ruff.toml that ignores F821 (or points `extend` elsewhere) is never read."""
    files = {
        "ruff.toml": 'extend = "/etc/passwd"\n[lint]\nignore = ["F821"]\n',
        "pyproject.toml": '[tool.ruff.lint]\nignore = ["F821"]\n',
        "mod.py": "print(undefined_thing)\n",
    }
    assert [d.code for d in run_ruff(files, ["F821"])] == ["F821"]


def test_oxlint_reports_selected_rules_only() -> None:
    source = "export function f(x) {\n  if (x == NaN) { return 1 }\n  debugger;\n  return 2\n}\n"
    found = run_oxlint({"src/a.js": source}, ["eslint/use-isnan"])
    assert [(d.code, d.path, d.line) for d in found] == [("eslint/use-isnan", "src/a.js", 2)]
    both = run_oxlint({"src/a.js": source}, ["eslint/use-isnan", "eslint/no-debugger"])
    assert sorted(d.code for d in both) == ["eslint/no-debugger", "eslint/use-isnan"]


def test_oxlint_ignores_configuration_shipped_with_the_files() -> None:
    files = {".oxlintrc.json": '{"rules": {"no-debugger": "off"}}', "a.js": "debugger;\n"}
    assert [d.code for d in run_oxlint(files, ["eslint/no-debugger"])] == ["eslint/no-debugger"]


def test_unsafe_paths_are_refused() -> None:
    with pytest.raises(LinterError, match="unsafe path"):
        run_ruff({"../escape.py": "x = 1\n"}, ["F821"])


def test_missing_binary_and_timeout_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linters, "_binary", lambda name: "/nonexistent/quorum-no-such-linter")
    with pytest.raises(LinterError, match="could not start"):
        run_ruff({"a.py": "x = 1\n"}, ["F821"])
    monkeypatch.setattr(linters, "_binary", lambda name: "/bin/sleep")
    with pytest.raises(LinterError, match="timed out"):
        linters._run(["/bin/sleep", "5"], __import__("pathlib").Path("/tmp"), 0.2)


def test_new_in_head_keeps_only_new_diagnostics_on_changed_lines() -> None:
    base_text = ["import os", "def f():", "    return y"]
    head_text = ["import os", "", "def f():", "    return y", "def g():", "    return z", "print(w)"]

    def d(line: int, code: str = "F821") -> Diagnostic:
        return Diagnostic("ruff", code, "m.py", line, 1, "msg")

    base = [d(3)]
    head = [d(4), d(6), d(7)]
    changed = {"m.py": {2, 5, 6}}  # line 7 is an unchanged context line in this diff
    new = new_in_head(base, head, {"m.py": base_text}, {"m.py": head_text}, changed)
    assert [x.line for x in new] == [6]  # line 4 moved (same text as base line 3): not new


def test_new_in_head_follows_renames() -> None:
    base = [Diagnostic("ruff", "F821", "old.py", 1, 1, "m")]
    head = [Diagnostic("ruff", "F821", "new.py", 1, 1, "m")]
    lines = ["return y"]
    assert new_in_head(base, head, {"old.py": lines}, {"new.py": lines}, {"new.py": {1}}, {"new.py": "old.py"}) == []


def test_scratch_tree_in_memory_and_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    """The linters' tree goes to MEMORY_TMP when it is writable and TMPDIR is unset, else to the
    default temporary directory; a failure to write in memory falls back, and the diagnostics are
    the same wherever the tree was written."""
    files = {"pkg/mod.py": "def f(x):\n    return y + x\n"}
    monkeypatch.delenv("TMPDIR", raising=False)
    mem = tmp_path / "mem"
    mem.mkdir()
    monkeypatch.setattr(linters, "MEMORY_TMP", str(mem))
    assert linters._scratch_parents() == [str(mem), None]
    seen: list[str] = []
    real = linters._write_tree

    def spy(root, fs):  # noqa: ANN001, ANN202
        seen.append(str(root))
        return real(root, fs)

    monkeypatch.setattr(linters, "_write_tree", spy)
    in_memory = run_ruff(files, ["F821"])
    assert seen and seen[-1].startswith(str(mem)) and not any(mem.iterdir())  # written there, deleted after

    def full(root, fs):  # noqa: ANN001, ANN202
        seen.append(str(root))
        if str(root).startswith(str(mem)):
            raise OSError(28, "No space left on device")
        return real(root, fs)

    monkeypatch.setattr(linters, "_write_tree", full)
    fallback = run_ruff(files, ["F821"])
    assert not seen[-1].startswith(str(mem)) and not any(mem.iterdir())
    assert in_memory == fallback and [d.code for d in fallback] == ["F821"]
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert linters._scratch_parents() == [None]
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(linters, "MEMORY_TMP", str(tmp_path / "absent"))
    assert linters._scratch_parents() == [None]
    with pytest.raises(OSError):  # the last place failing still raises (the caller fails closed)
        monkeypatch.setattr(linters, "_write_tree", lambda root, fs: (_ for _ in ()).throw(OSError(28, "full")))
        run_ruff(files, ["F821"])
