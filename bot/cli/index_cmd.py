"""``quorum index``: build the code index of one commit's tree into the cache ``quorum review`` reads.

A review loads the index of the pull request's head tree from the per-blob cache in
``<cache_dir>/index`` and parses on demand only the files its queries can read (the lazy index,
:mod:`bot.codeindex.lazy`); files no query needed are read but never cached, so a repository
reviewed only through ``quorum review`` stays partly cold: on grpc-go the second review of a PR
still spent ~150 ms reading uncached blobs against ~50 ms for a fully cached tree
(``evals/RESULTS.md``, "Eighth session"). ``quorum index`` parses every file of the tree once
(in worker processes when large) so that the next reviews of that tree, and of any tree sharing
most of its blobs (the next commits), load warm. Run it once after cloning, and after large pulls;
as a pre-push hook it pairs with ``quorum review``.

Reads the repository only through read-only git commands (never runs code or configuration from
it). Exit status 0 when the index is complete; 2 with a one-line error for a path that is not a
repository, a ref that names no commit, or a cache that cannot be written; 1 when some file's
extraction failed (the index is still written for the others; the files are named).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, run_guarded


def register(app: typer.Typer) -> None:
    """Add the ``index`` command to ``app``."""
    app.command(name="index")(index_command)


def index_command(
    repo: Annotated[Path, typer.Option("--repo", help="Local git repository.")] = Path("."),
    rev: Annotated[str, typer.Option("--rev", help="Commit whose tree to index.")] = "HEAD",
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Parse in this many processes (default: the CPUs).")] = None,
) -> None:
    """Build the code index of a commit's tree into the cache that `quorum review` reads."""
    run_guarded(lambda: index_tree(repo, rev, workers))


def index_tree(repo: Path, rev: str, workers: int | None = None, *, cache_dir: Path | None = None) -> dict[str, object]:
    """Index the tree of ``rev`` in ``repo`` into ``cache_dir`` (default: ``<QUORUM_CACHE_DIR or the
    user cache dir>/index``, the review's) and print one summary line; returns the summary as a dict
    (``files``, ``parsed``, ``cached``, ``skipped``, ``failed``, ``seconds``, ``sha``, ``cache``).

    Exits through :func:`bot.cli.common.fail` (status 2) for a path that is not a repository, an
    unknown ref or an unwritable cache; status 1 (after the summary) when extractions failed."""
    from bot.adapters.gitlocal import CatFile, Git, GitTree
    from bot.codeindex import build_index
    from bot.localsettings import local_settings

    if not repo.is_dir():
        fail(f"no such directory: {repo}")
    git = Git(repo)
    if not git.run("rev-parse", "--git-dir", check=False).strip():
        fail(f"not a git repository: {repo}")
    sha = git.rev(rev)
    if sha is None:
        fail(f"{rev!r} names no commit in {repo}")
    target = cache_dir if cache_dir is not None else local_settings(os.environ).cache_dir / "index"
    start = time.perf_counter()
    cat = CatFile(repo)
    try:
        stats = build_index(GitTree(git, cat, sha), target, workers=workers).stats
    finally:
        cat.close()
    if stats.cache_error:
        fail(stats.cache_error)
    summary: dict[str, object] = {
        "sha": sha, "files": stats.files, "parsed": stats.parsed, "cached": stats.cached,
        "skipped": stats.skipped, "failed": sorted(stats.failed), "seconds": round(time.perf_counter() - start, 2),
        "cache": str(target),
    }
    print(f"indexed {stats.files} files of {repo} at {sha[:12]} ({stats.parsed} parsed, {stats.cached} already cached, "
          f"{stats.skipped} skipped) in {summary['seconds']} s into {target}")
    if stats.failed:
        print(f"quorum: extraction failed for {len(stats.failed)} file(s): {', '.join(sorted(stats.failed)[:5])}",
              file=sys.stderr)
        raise typer.Exit(1)
    return summary
