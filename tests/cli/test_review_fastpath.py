"""``quorum review`` parses its arguments without typer (bot.cli.review_cmd) and falls back to the
typer command, the reference, for --help and anything argparse does not take exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from bot.cli import review_cmd
from bot.cli.app import review as typer_review
from bot.cli.review_cmd import REVIEW_DEFAULTS, REVIEW_OPTIONS, OutputFormat, parse_review_argv
from bot.testing.gitrepo import make_repo


def test_fast_path_declares_exactly_the_typer_command_options() -> None:
    app = typer.Typer(add_completion=False)
    app.command()(typer_review)
    cmd = typer.main.get_command(app)
    opts = {p.opts[0]: p for p in cmd.params}
    assert set(opts) == set(REVIEW_OPTIONS)
    for flag, (dest, kind) in REVIEW_OPTIONS.items():
        param = opts[flag]
        assert param.name == dest
        assert bool(param.is_flag) == (kind is bool), flag
        assert not param.secondary_opts, flag  # no --no-x twin that argparse would not know
        default = REVIEW_DEFAULTS.get(dest, False if kind is bool else None)
        expected = default.value if isinstance(default, OutputFormat) else default
        got = param.default.value if isinstance(param.default, OutputFormat) else param.default
        assert (str(got) if isinstance(got, Path) else got) == (str(expected) if isinstance(expected, Path) else expected), flag


def test_parse_review_argv_values_and_defaults() -> None:
    values = parse_review_argv(["--repo", "r", "--base", "b", "--format=json", "--no-log", "--profile", "p.prof"])
    assert values is not None
    assert values["repo"] == Path("r") and values["base"] == "b" and values["head"] == "HEAD"
    assert values["output_format"] is OutputFormat.json and values["no_log"] is True and values["explain"] is False
    assert values["profile"] == Path("p.prof") and values["policy"] is None and values["title"] is None
    assert parse_review_argv([])["output_format"] is OutputFormat.text


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--bogus"], ["--repo"], ["--format", "JSON"], ["--rep", "x"],
                                  ["positional"], ["--no-log=1"]])
def test_anything_argparse_does_not_take_exactly_goes_to_typer(args: list[str]) -> None:
    assert parse_review_argv(args) is None
    assert review_cmd.run_fast(["quorum", "review", *args]) is None


def test_a_review_runs_without_importing_typer_and_matches_the_typer_command(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, title="feat: debug")
    env = {"QUORUM_DATA_DIR": str(tmp_path / "data"), "QUORUM_CACHE_DIR": str(tmp_path / "cache"), "QUORUM_SERVER": "0",
           "PATH": "/usr/bin:/bin"}
    script = ("import sys, json; from bot.cli import review_cmd; "
              "code = review_cmd.run_fast(['quorum', 'review', '--repo', sys.argv[1], '--format', 'json', '--no-log']); "
              "import os; sys.stdout.flush(); sys.stderr.write(json.dumps({'code': code, 'typer': 'typer' in sys.modules, "
              "'plugins': os.environ.get('PYDANTIC_DISABLE_PLUGINS'), "
              "'unused': sorted(m for m in ('structlog', 'rich', 'asyncio', 'regex', 'bot.cli.cmdserver') if m in sys.modules)}))")
    fast = subprocess.run([sys.executable, "-c", script, str(repo)], capture_output=True, text=True, env=env, timeout=120)
    status = json.loads(fast.stderr.strip().splitlines()[-1])
    # no entry-point scan for pydantic plugins; nothing logged, so no structlog (nor the rich and
    # asyncio it imports); an ASCII change needs no `regex`; no command-server client
    assert status == {"code": 0, "typer": False, "plugins": "__all__", "unused": []}
    slow = subprocess.run([sys.executable, "-c", "import sys; from bot.cli.app import app; sys.argv[0] = 'quorum'; app()",
                           "review", "--repo", str(repo), "--format", "json", "--no-log"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert slow.returncode == 0, slow.stderr
    a, b = json.loads(fast.stdout), json.loads(slow.stdout)
    assert a["decision"]["action"] == b["decision"]["action"]
    assert [f["id"] for v in a["verdicts"] for f in v["findings"]] == [f["id"] for v in b["verdicts"] for f in v["findings"]]
    assert a["timings"]["start_cpu_ms"] > 0


def test_a_second_review_with_the_same_cache_imports_no_pyyaml(tmp_path: Path) -> None:
    """The packaged registry, catalog and default policy come from the parsed-YAML cache once it is
    warm, so PyYAML (and the policy's strict loader) are not imported; a repository's
    ``.quorum.yml`` would still be parsed (see tests/core/test_yamldata.py)."""
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="feat: two")
    env = {"QUORUM_DATA_DIR": str(tmp_path / "data"), "QUORUM_CACHE_DIR": str(tmp_path / "cache"), "QUORUM_SERVER": "0",
           "PATH": "/usr/bin:/bin"}
    script = ("import sys, json; from bot.cli import review_cmd; "
              "code = review_cmd.run_fast(['quorum', 'review', '--repo', sys.argv[1], '--format', 'json', '--no-log']); "
              "sys.stdout.flush(); sys.stderr.write(json.dumps({'code': code, "
              "'loaded': sorted(m for m in ('yaml', 'bot.policy.strictyaml') if m in sys.modules)}))")
    runs = [subprocess.run([sys.executable, "-c", script, str(repo)], capture_output=True, text=True, env=env, timeout=120)
            for _ in range(2)]
    first, second = (json.loads(run.stderr.strip().splitlines()[-1]) for run in runs)
    assert first == {"code": 0, "loaded": ["bot.policy.strictyaml", "yaml"]}  # a cold cache parses
    assert second == {"code": 0, "loaded": []}
    a, b = (json.loads(run.stdout) for run in runs)
    assert [v["findings"] for v in a["verdicts"]] == [v["findings"] for v in b["verdicts"]]
    assert a["decision"]["action"] == b["decision"]["action"]


def test_a_fast_path_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    script = ("import sys; from bot.cli import review_cmd; "
              "sys.exit(review_cmd.run_fast(['quorum', 'review', '--repo', sys.argv[1]]))")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "missing")], capture_output=True, text=True,
                          env={"QUORUM_DATA_DIR": str(tmp_path / "d"), "QUORUM_CACHE_DIR": str(tmp_path / "c"),
                               "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("quorum: error: not a directory") and len(proc.stderr.splitlines()) == 1


def test_the_json_review_is_the_whole_payload_indented_once(tmp_path: Path) -> None:
    """The JSON text, rendered as its head and then its ``timings`` set in, is exactly
    ``json.dumps(payload, indent=2, ensure_ascii=False)`` of the whole payload (non-ASCII and
    newlines in the title and body included)."""
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"},
                           title="feat: débogage ✓", body="line one\nline \"two\"\ttab")
    env = {"QUORUM_DATA_DIR": str(tmp_path / "data"), "QUORUM_CACHE_DIR": str(tmp_path / "cache"), "QUORUM_SERVER": "0",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "from bot.cli.entry import main; main()", "review", "--repo", str(repo),
                          "--format", "json", "--no-log"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert list(payload) == ["pr", "verdicts", "decision", "timings"]
    assert "débogage ✓" in out.stdout and payload["timings"]["render_ms"] > 0
    assert out.stdout == json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def test_the_parser_is_built_once_per_process_and_by_the_warm_up() -> None:
    """``quorum server``'s preload runs :func:`bot.cli.earlysnap.warm_up`: its forked reviews then
    parse their arguments with the parser it built."""
    from bot.cli import review_cmd  # noqa: PLC0415
    from bot.cli.earlysnap import warm_up  # noqa: PLC0415

    review_cmd._parser.cache_clear()
    warm_up()
    assert review_cmd._parser.cache_info().currsize == 1
    built = review_cmd._parser()
    assert review_cmd.parse_review_argv(["--format", "json", "--no-log"])["no_log"] is True
    assert review_cmd.parse_review_argv(["--base", "main"])["no_log"] is False  # nothing kept between parses
    assert review_cmd._parser() is built
