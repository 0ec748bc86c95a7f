"""Check that two versions of Quorum give the same reviews on real PRs: dump, then compare.

Usage::

    python evals/bench/same_reviews.py dump --repo /tmp/pydantic --prs 20 --out A.json [--served]
    python evals/bench/same_reviews.py compare A.json B.json

``dump`` runs ``quorum review --repo R --base SHA^ --head SHA --format json --no-log`` (through
``bot.cli.entry.main`` in a fresh interpreter, never a command server unless ``--served``, so whichever ``bot`` package is first on ``sys.path`` reviews: put
another checkout first with ``PYTHONPATH=/tmp/base``) on the PRs that ``bench_review.py`` picks
(the newest squash-merged PRs of ``--min-lines``..``--max-lines`` changed lines) and writes each
review's JSON with everything that measures time removed (``timings`` and any key ending in
``_ms``), keyed by head SHA. ``compare`` prints each PR whose reviews differ, with the first
differing paths, and exits 1 when any does (0 when all are the same).

A speed change must not change what a review finds (issue 14): this is the check for that on
real input, beside ``quorum eval --suite all`` and the re-injected suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_review import pick_prs  # noqa: E402

_VOLATILE = ("timings", "elapsed_ms", "log_path")
_ENTRY = "import sys; sys.path.remove('') if '' in sys.path else None; from bot.cli.entry import main; main()"
"""The review command: ``python -c`` puts the working directory first on ``sys.path``, which would
review with a checkout we happen to run from instead of the code ``PYTHONPATH`` names."""


def _strip(value: object) -> object:
    """``value`` without timing keys (``timings``, ``*_ms``), recursively."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE and not k.endswith("_ms")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def dump(repo: str, prs: int, min_lines: int, max_lines: int, out: str, *, served: bool = False) -> int:
    """Review each picked PR; write ``{sha: stripped review JSON}`` to ``out``. Returns 0.
    ``served``: through a command server started for the dump (``quorum server start``, in a
    runtime directory of its own, stopped at the end), as the second and later reviews run by
    default since the twelfth session (:mod:`bot.cli.autostart`); else fresh processes
    (``QUORUM_SERVER=0``). Raises RuntimeError when the server does not start."""
    result: dict[str, object] = {}
    env = {**os.environ, "QUORUM_SERVER": "0", "QUORUM_SERVER_AUTOSTART": "0"}
    if served:
        env.pop("QUORUM_SERVER")
        env["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="qs")
        started = subprocess.run([sys.executable, "-c", _ENTRY, "server", "start", "--idle", "600"],
                                 capture_output=True, text=True, check=False, env=env)
        if started.returncode != 0:
            raise RuntimeError(f"quorum server start failed: {started.stderr.strip()[-300:]}")
    try:
        for sha, _lines, _subject in pick_prs(repo, prs, min_lines, max_lines):
            proc = subprocess.run(
                [sys.executable, "-c", _ENTRY, "review", "--repo", repo, "--base", f"{sha}^",
                 "--head", sha, "--format", "json", "--no-log"],
                capture_output=True, text=True, check=False, env=env,
            )
            try:
                result[sha] = _strip(json.loads(proc.stdout))
            except json.JSONDecodeError:
                result[sha] = {"exit": proc.returncode, "stderr": proc.stderr.strip().splitlines()[-1:]}
    finally:
        if served:
            subprocess.run([sys.executable, "-c", _ENTRY, "server", "stop"], capture_output=True, check=False, env=env)
            shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)
    Path(out).write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    print(f"same_reviews: {len(result)} reviews written to {out}")
    return 0


def _diff(a: object, b: object, path: str = "") -> list[str]:
    """Paths where ``a`` and ``b`` differ (at most a few per level)."""
    if type(a) is not type(b):
        return [path or "/"]
    if isinstance(a, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in _diff(a.get(k), b.get(k), f"{path}/{k}")][:5]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path} (length {len(a)} != {len(b)})"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{path}/{i}")][:5]
    return [] if a == b else [path or "/"]


def compare(first: str, second: str) -> int:
    """Print the PRs whose stripped reviews differ; 1 when any does, else 0."""
    a = json.loads(Path(first).read_text(encoding="utf-8"))
    b = json.loads(Path(second).read_text(encoding="utf-8"))
    differing = 0
    for sha in sorted(set(a) | set(b)):
        paths = _diff(a.get(sha), b.get(sha))
        if paths:
            differing += 1
            print(f"{sha}: differs at {', '.join(paths)}")
    print(f"same_reviews: {len(set(a) | set(b)) - differing} of {len(set(a) | set(b))} the same")
    return 1 if differing else 0


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--repo", required=True)
    d.add_argument("--prs", type=int, default=20)
    d.add_argument("--min-lines", type=int, default=50)
    d.add_argument("--max-lines", type=int, default=400)
    d.add_argument("--out", required=True)
    d.add_argument("--served", action="store_true", help="review through a command server started for the dump")
    c = sub.add_parser("compare")
    c.add_argument("first")
    c.add_argument("second")
    args = parser.parse_args()
    if args.cmd == "dump":
        return dump(args.repo, args.prs, args.min_lines, args.max_lines, args.out, served=args.served)
    return compare(args.first, args.second)


if __name__ == "__main__":
    sys.exit(main())
