"""The one way Quorum runs git: a scrubbed environment, no program from any config, an explicit repo.

Every git subprocess in the project goes through :func:`run_git` or :func:`popen_git`. They

- drop every ``GIT_*`` variable of the calling environment (``GIT_DIR``, ``GIT_WORK_TREE``,
  ``GIT_INDEX_FILE``, ``GIT_OBJECT_DIRECTORY``, ``GIT_ALTERNATE_OBJECT_DIRECTORIES``,
  ``GIT_CONFIG*``, ``GIT_EXEC_PATH``, ``GIT_EXTERNAL_DIFF``, ``GIT_PAGER``, ``GIT_SSH*``, ...; the
  list is ``git help environment``) and the generic ``PAGER``/``EDITOR``/``VISUAL``, so that the
  environment of a git hook (which sets ``GIT_DIR``) cannot point a review at another repository;
- ignore system and global configuration (``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL=/dev/null``,
  ``GIT_ATTR_NOSYSTEM=1``, ``core.attributesFile=/dev/null``) and override, on the command line
  (which wins over the repository's own config), every setting that makes a read run a program:
  ``core.fsmonitor``, ``core.hooksPath``, ``log.showSignature`` (``gpg.program``), commit/tag
  signing, the ``ext::`` transport; ``diff``/``log``/``show`` get ``--no-ext-diff --no-textconv``
  (external diff drivers and textconv filters from ``.gitattributes``); ``blame`` gets
  ``--no-textconv``. Clean/smudge filters run only on work-tree operations, which the review path
  never performs (it reads objects only: ``diff A B``, ``ls-tree``, ``cat-file``, ``log``); for
  the work-tree commands that fixtures and evals use (:data:`WORKTREE_COMMANDS`) every filter
  driver named in the repository's config is overridden with empty commands first;
- disable replace refs (``GIT_NO_REPLACE_OBJECTS=1``): an object is read as stored;
- always name the repository (``git -C <repo>``).

Variables a caller passes in ``env`` (a commit identity, a private ``GIT_INDEX_FILE``) are applied
after scrubbing; only names in :data:`CALLER_ENV` are accepted.

A secret a network command needs (the installation token of a fetch, as an ``http.extraHeader``)
is passed with ``secret_config``: it reaches git through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/
``GIT_CONFIG_VALUE_n`` in the child's environment (git >= 2.31), never on the command line, where
any local user could read it in ``ps``. Only the keys of :data:`SECRET_CONFIG_KEY` are accepted;
command-line ``-c`` settings still win over it (git documents that ``GIT_CONFIG_*`` is overridden
by ``-c``).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import SourceError

SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.attributesFile=/dev/null",
    "core.quotepath=off",
    "core.pager=cat",
    "core.untrackedCache=false",
    "log.showSignature=false",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "protocol.ext.allow=never",
    "credential.helper=",
    "gc.auto=0",
    "maintenance.auto=false",
)
"""``-c`` settings given to every git call; command-line config overrides the repository's config."""

FIXED_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}
"""Variables set on every git call, after every inherited ``GIT_*`` variable was removed."""

DROPPED_PLAIN = ("PAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "LESS", "LESSOPEN", "LESSCLOSE")
"""Non-``GIT_`` variables git may consult to start a program; removed as well."""

CALLER_ENV = frozenset({
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE",
    "GIT_INDEX_FILE", "HOME",
})
"""Variables a caller may set explicitly (commit identity, a private index file)."""

SECRET_CONFIG_KEY = re.compile(r"^http\.(?:[^\s]+\.)?extraheader$", re.IGNORECASE)
"""The only configuration a caller may pass through the environment: ``http.extraHeader``, also
scoped to a URL (``http.https://github.com/.extraHeader``)."""

_NO_DRIVERS = {
    "diff": ("--no-ext-diff", "--no-textconv"),
    "log": ("--no-ext-diff", "--no-textconv"),
    "show": ("--no-ext-diff", "--no-textconv"),
    "whatchanged": ("--no-ext-diff", "--no-textconv"),
    "blame": ("--no-textconv",),
}


WORKTREE_COMMANDS = frozenset({
    "add", "checkout", "commit", "status", "stash", "reset", "switch", "restore", "merge", "rm", "mv",
    "apply", "cherry-pick", "revert", "rebase", "read-tree", "update-index", "hash-object", "blame",
    "diff", "grep", "ls-files", "check-attr",
})
"""Subcommands that may read or write work-tree files, and so could run a clean/smudge filter."""

_FILTER_KEY = re.compile(r"^filter\.(.+)\.(?:clean|smudge|process|required)$", re.IGNORECASE)


class GitError(SourceError):
    """A git command failed; ``str(exc)`` is ``git <subcommand> failed: <git's first stderr line>``."""


@dataclass(frozen=True)
class GitResult:
    """What one git call produced: raw ``stdout``/``stderr`` bytes, ``returncode``, and ``cut``
    (True when stdout was cut at ``max_bytes`` and the process killed)."""

    stdout: bytes
    stderr: bytes
    returncode: int
    cut: bool = False


def git_env(env: Mapping[str, str] | None = None, secret_config: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a git process: ``os.environ`` without any ``GIT_*`` variable nor
    :data:`DROPPED_PLAIN`, plus :data:`FIXED_ENV`, plus ``env`` (names in :data:`CALLER_ENV` only),
    plus ``secret_config`` as ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``.

    Raises ValueError for a caller variable outside :data:`CALLER_ENV`, a ``secret_config`` key
    outside :data:`SECRET_CONFIG_KEY`, or a value with a newline.
    """
    out = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in DROPPED_PLAIN}
    out.update(FIXED_ENV)
    for key, value in (env or {}).items():
        if key not in CALLER_ENV:
            raise ValueError(f"git runner: {key} may not be set by a caller")
        out[key] = value
    for i, (key, value) in enumerate((secret_config or {}).items()):
        if not SECRET_CONFIG_KEY.match(key) or "\n" in value or "\n" in key:
            raise ValueError(f"git runner: {key.splitlines()[0] if key else key!r} may not be passed as secret config")
        out[f"GIT_CONFIG_KEY_{i}"] = key
        out[f"GIT_CONFIG_VALUE_{i}"] = value
    if secret_config:
        out["GIT_CONFIG_COUNT"] = str(len(secret_config))
    return out


def git_command(repo: str | Path, args: Sequence[str], extra_config: Sequence[str] = ()) -> list[str]:
    """The argv for ``git args`` in ``repo``: ``git --no-pager -C repo -c ... sub [driver flags] rest``.

    ``extra_config`` adds ``-c`` settings after :data:`SAFE_CONFIG`. Raises ValueError when
    ``args`` is empty or its first item is an option (the subcommand must be first so that the
    driver-disabling flags land on it).
    """
    if not args or args[0].startswith("-"):
        raise ValueError("git runner: the first argument must be the subcommand")
    sub, rest = args[0], list(args[1:])
    cmd = ["git", "--no-pager", "-C", str(repo)]
    for setting in (*SAFE_CONFIG, *extra_config):
        cmd += ["-c", setting]
    return [*cmd, sub, *_NO_DRIVERS.get(sub, ()), *rest]


def filter_overrides(repo: str | Path) -> list[str]:
    """``-c`` settings that empty every clean/smudge/process filter driver the repository's config
    defines (git treats an empty filter command as no filter), and make none of them required.
    Reads ``git config --get-regexp ^filter\\.`` (reading config runs nothing)."""
    proc = subprocess.run(
        git_command(repo, ["config", "-z", "--get-regexp", r"^filter\."]),
        capture_output=True, env=git_env(), check=False,
    )
    names = set()
    for entry in proc.stdout.split(b"\0"):
        key = entry.partition(b"\n")[0].decode("utf-8", "surrogateescape")
        m = _FILTER_KEY.match(key)
        if m:
            names.add(m.group(1))
    out: list[str] = []
    for name in sorted(names):
        out += [f"filter.{name}.clean=", f"filter.{name}.smudge=", f"filter.{name}.process=",
                f"filter.{name}.required=false"]
    return out


def run_git(
    repo: str | Path,
    *args: str,
    input: bytes | None = None,  # noqa: A002 - the subprocess name
    env: Mapping[str, str] | None = None,
    check: bool = True,
    max_bytes: int | None = None,
    timeout: float | None = None,
    config: Sequence[str] = (),
    secret_config: Mapping[str, str] | None = None,
    objects_only: bool = False,
) -> GitResult:
    """Run ``git args`` in ``repo`` (see the module docstring) and return its output.

    ``max_bytes`` cuts stdout beyond that size (the process is killed, ``cut`` is True, the exit
    status of the killed process is reported as 0). ``timeout`` is in seconds. ``config`` adds
    ``-c`` settings after :data:`SAFE_CONFIG` (they cannot replace it: :data:`SAFE_CONFIG` is
    applied again after them). ``secret_config`` goes through the environment (module docstring).
    Raises GitError (one line) when git is missing, times out, or exits non-zero with ``check``;
    ValueError for a refused ``env`` or ``secret_config`` entry.

    ``objects_only`` is the caller's statement that this call reads git objects only, never the
    work tree (``git diff`` of two commits, which :data:`WORKTREE_COMMANDS` lists because ``git
    diff`` can also read the work tree): no clean/smudge filter can run, so the repository's filter
    settings are not read first (one git process less before the review's diff).
    """
    cmd = _command(repo, args, config, objects_only=objects_only)
    environ = git_env(env, secret_config)
    try:
        if max_bytes is None:
            proc = subprocess.run(
                cmd, input=input, capture_output=True, env=environ, check=False, timeout=timeout
            )
            result = GitResult(proc.stdout, proc.stderr, proc.returncode)
        else:
            result = _run_capped(cmd, environ, max_bytes)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} failed: timed out after {timeout} s") from exc
    if check and result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {lines[0] if lines else 'exit ' + str(result.returncode)}")
    return result


def popen_git(repo: str | Path, *args: str, env: Mapping[str, str] | None = None, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start ``git args`` in ``repo`` as a long-lived process (e.g. ``cat-file --batch``) with the
    same argv and environment rules as :func:`run_git`; ``kwargs`` go to ``subprocess.Popen``
    (pipes). Raises GitError when git is missing."""
    try:
        return subprocess.Popen(_command(repo, args), env=git_env(env), **kwargs)  # type: ignore[call-overload]
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc


def _command(repo: str | Path, args: Sequence[str], config: Sequence[str] = (), *, objects_only: bool = False) -> list[str]:
    extra = filter_overrides(repo) if args and args[0] in WORKTREE_COMMANDS and not objects_only else []
    if config:  # the caller's settings first, then SAFE_CONFIG again: the last -c of a key wins
        extra = [*config, *SAFE_CONFIG, *extra]
    return git_command(repo, args, extra)


def _run_capped(cmd: list[str], env: dict[str, str], max_bytes: int) -> GitResult:
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = proc.stdout.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                proc.kill()
                break
        err = proc.stderr.read()
        code = proc.wait()
    cut = size > max_bytes
    return GitResult(b"".join(chunks), err, 0 if cut else code, cut)
