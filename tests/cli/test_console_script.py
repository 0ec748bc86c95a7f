"""The ``quorum`` console script (``bin/quorum``, installed by the wheel's shared scripts)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "quorum"


def test_the_wheel_installs_bin_quorum_as_the_only_quorum_command() -> None:
    """pip rewrites the ``#!python`` line of a wheel's ``.data/scripts`` file to its interpreter
    (PEP 427, "Installing a wheel"); a ``[project.scripts]`` entry of the same name would collide."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shared = project["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-scripts"]
    assert shared == {"bin/quorum": "quorum"}
    assert "quorum" not in project["project"].get("scripts", {})
    assert SCRIPT.read_text(encoding="utf-8").startswith("#!python\n")


def test_the_script_adds_no_module_to_what_the_client_imports() -> None:
    """Up to the hand-over to a command server the client imports only what a bare start has
    (tests/cli/test_cmdserver.py); pip's generated script imported ``re`` first (~5 ms)."""
    code = ("import sys; before = set(sys.modules)\n"
            f"exec(compile(open({str(SCRIPT)!r}).read(), 'quorum', 'exec'), {{'__name__': 'not_main'}})\n"
            "import bot.cli.entry, bot.cli.cmdclient as c\n"
            "c.socket_path({'XDG_RUNTIME_DIR': '/nonexistent'})\n"
            "print(' '.join(sorted(set(sys.modules) - before)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    added = set(proc.stdout.split())
    assert "re" not in added and not {m for m in added if not m.startswith("bot")} - {
        "__future__", "_socket", "_sha256", "_sha2", "_signal"}, added


def test_the_script_runs_the_cli(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "review" in proc.stdout
