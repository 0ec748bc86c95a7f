"""Proven external analyzers, run safely: ruff (Python) and oxlint (JavaScript/TypeScript).

Both are standalone binaries installed from PyPI (``ruff``, ``oxlint``). They are run

- on copies of the changed files' base and head contents written to a fresh temporary directory
  **outside** the repository under review, never on the PR's checkout;
- with **our** configuration only: ruff with ``--isolated`` (no ``pyproject.toml``/``ruff.toml`` is
  read) and an explicit ``--select``; oxlint with our own ``-c`` config file,
  ``--disable-nested-config`` and ``--no-ignore`` (the temporary directory holds nothing but the
  source files we wrote, so no config file of the PR can be picked up);
- with a wall-clock time limit and an environment without ``RUFF_*``/``OXLINT_*`` variables.

Nothing from the PR is executed: both tools only parse the files. A missing binary, a crash, a
time-out or unparseable output raises :class:`LinterError`; the caller marks its verdict
truncated, so the review cannot approve (fail closed).

Upstream rule documentation: ruff https://docs.astral.sh/ruff/rules/ , oxlint
https://oxc.rs/docs/guide/usage/linter/rules.html .
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from bot.core.lintdiff import Diagnostic, new_in_head

# shutil and tempfile (~4 ms of imports: bz2, lzma, random) are imported where a linter runs:
# every review builds an ExternalLinters, most reviews of documents or data never lint.

DEFAULT_TIMEOUT_S = 20.0
"""Wall-clock limit for one linter process (seconds)."""


class LinterError(RuntimeError):
    """A linter could not run or its output could not be read (the caller fails closed)."""


def _binary(name: str) -> str:
    """The path of ``name`` installed next to this interpreter, else on PATH. Raises LinterError."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    import shutil  # noqa: PLC0415 - see the imports

    found = shutil.which(name)
    if found is None:
        raise LinterError(f"{name} is not installed (pip install {name})")
    return found


def _clean_env(tmp: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["HOME"] = str(tmp)  # no user-level config (ruff reads ~/.config/ruff otherwise)
    env["XDG_CONFIG_HOME"] = str(tmp / ".config")
    return env


def _safe_relpath(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise LinterError(f"refusing to write unsafe path {path!r}")
    return rel


def _write_tree(root: Path, files: Mapping[str, str]) -> None:
    for path, text in files.items():
        target = root.joinpath(*_safe_relpath(path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


MEMORY_TMP = "/dev/shm"
"""A memory file system the linters' temporary trees are written to when the host has it (and
``TMPDIR`` does not name another place): writing a pydantic review's 7 changed files (357 KB) and
deleting them cost ~4.2 ms of CPU on this host's ext4 ``/tmp`` and ~0.8 ms there."""


def _scratch_parents() -> list[str | None]:
    """Where to try to make the temporary directory, in order: :data:`MEMORY_TMP` when it is a
    writable directory and ``TMPDIR`` is not set, then the default temporary directory (None)."""
    if "TMPDIR" not in os.environ and os.path.isdir(MEMORY_TMP) and os.access(MEMORY_TMP, os.W_OK | os.X_OK):
        return [MEMORY_TMP, None]
    return [None]


@contextmanager
def _scratch(prefix: str, files: Mapping[str, str]) -> Iterator[Path]:
    """A fresh temporary directory (deleted on exit) holding ``files`` under ``src/``. When making
    it or writing there fails (a full memory file system) the next place of
    :func:`_scratch_parents` is used; a failure in the last place is raised as before (the
    caller fails closed). The linters see the same relative paths wherever the tree is."""
    import tempfile  # noqa: PLC0415 - see the imports

    parents = _scratch_parents()
    for i, parent in enumerate(parents):
        tmp: tempfile.TemporaryDirectory[str] | None = None
        try:
            tmp = tempfile.TemporaryDirectory(prefix=prefix, dir=parent)
            _write_tree(Path(tmp.name) / "src", files)
        except OSError:
            if tmp is not None:
                tmp.cleanup()
            if i + 1 < len(parents):
                continue
            raise
        except BaseException:
            if tmp is not None:
                tmp.cleanup()
            raise
        with tmp:
            yield Path(tmp.name)
        return


def _run(argv: Sequence[str], cwd: Path, timeout_s: float) -> str:
    try:
        proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, timeout=timeout_s, check=False,
                              env=_clean_env(cwd), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise LinterError(f"{Path(argv[0]).name} timed out after {timeout_s:g}s") from exc
    except OSError as exc:
        raise LinterError(f"{Path(argv[0]).name} could not start: {exc}") from exc
    if proc.returncode not in (0, 1):  # 1 = "diagnostics found" for both tools
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise LinterError(f"{Path(argv[0]).name} exited {proc.returncode}: {err[-1] if err else 'no message'}")
    return proc.stdout.decode("utf-8", "replace")


def run_ruff(files: Mapping[str, str], select: Sequence[str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Diagnostic]:
    """Lint ``files`` ({repo-relative path: text}) with ruff's rules ``select``; return its diagnostics.

    Raises LinterError when ruff is missing, times out, fails, or prints unreadable JSON.
    """
    if not files:
        return []
    with _scratch("quorum-ruff-", files) as tmp:
        root = tmp / "src"
        out = _run([_binary("ruff"), "check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json",
                    "--select", ",".join(select), "--", "."], root, timeout_s)
        try:
            rows = json.loads(out or "[]")
            return [
                Diagnostic("ruff", str(r["code"]), Path(r["filename"]).resolve().relative_to(root.resolve()).as_posix(),
                           int(r["location"]["row"]), int(r["location"]["column"]), str(r["message"]), str(r.get("url") or ""))
                for r in rows if r.get("code")
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise LinterError(f"ruff printed unreadable output: {exc}") from exc


def _oxlint_code(raw: str) -> str:
    """``eslint(no-unused-vars)`` -> ``eslint/no-unused-vars``."""
    plugin, _, rest = raw.partition("(")
    return f"{plugin}/{rest.rstrip(')')}" if rest else raw


def run_oxlint(files: Mapping[str, str], rules: Sequence[str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Diagnostic]:
    """Lint ``files`` with oxlint, only the rules ``rules`` (``eslint/no-unused-vars`` form) switched on.

    Raises LinterError when oxlint is missing, times out, fails, or prints unreadable JSON.
    """
    if not files:
        return []
    with _scratch("quorum-oxlint-", files) as base:
        root = base / "src"
        config = base / "quorum-oxlint.json"
        config.write_text(json.dumps({
            "plugins": sorted({r.split("/", 1)[0] for r in rules if "/" in r} - {"eslint"}),
            "categories": {c: "off" for c in ("correctness", "suspicious", "pedantic", "perf", "style", "restriction", "nursery")},
            "rules": {r.split("/", 1)[1] if r.startswith("eslint/") else r: "error" for r in rules},
        }), encoding="utf-8")
        out = _run([_binary("oxlint"), "-c", str(config), "--disable-nested-config", "--no-ignore", "--format", "json",
                    "--threads", "1", "."], root, timeout_s)
        try:
            rows = json.loads(out)["diagnostics"]
            result = []
            for r in rows:
                labels = r.get("labels") or [{}]
                span = labels[0].get("span") or {}
                result.append(Diagnostic("oxlint", _oxlint_code(str(r["code"])), PurePosixPath(r["filename"]).as_posix(),
                                         int(span.get("line") or 1), int(span.get("column") or 1), str(r["message"]),
                                         str(r.get("url") or "")))
            return result
        except (ValueError, KeyError, TypeError) as exc:
            raise LinterError(f"oxlint printed unreadable output: {exc}") from exc


__all__ = ["DEFAULT_TIMEOUT_S", "Diagnostic", "LinterError", "new_in_head", "run_oxlint", "run_ruff"]
