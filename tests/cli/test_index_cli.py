"""``quorum index``: the whole tree goes into the cache ``quorum review`` reads, so the next review
of that tree loads the index fully cached instead of reading and searching uncached blobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from bot.adapters.gitlocal import CatFile, Git, GitTree
from bot.cli.index_cmd import index_tree
from bot.codeindex.index import CodeIndex
from bot.codeindex.lazy import LazyCodeIndex, lazy_index
from bot.testing.cli import run_quorum
from bot.testing.gitrepo import make_repo

BASE = {
    "pkg/__init__.py": "from pkg.core import run\n",
    "pkg/core.py": "def run(x):\n    return helper(x) + 1\n\n\ndef helper(x):\n    return x * 2\n",
    "pkg/cli.py": "from pkg.core import run\n\n\ndef main():\n    print(run(3))\n",
    "web/app.ts": "export function greet(name: string): string {\n  return `hi ${name}`;\n}\n",
    "README.md": "# pkg\n",
}
HEAD = {**BASE, "pkg/core.py": BASE["pkg/core.py"].replace("x * 2", "x * 3")}


def _tree_index(repo: Path, sha: str, cache: Path) -> CodeIndex:
    cat = CatFile(repo)
    try:
        return lazy_index(GitTree(Git(repo), cat, sha), cache)
    finally:
        cat.close()


def test_a_review_after_quorum_index_loads_the_tree_fully_cached(tmp_path: Path) -> None:
    repo, _, head = make_repo(tmp_path, BASE, HEAD, title="core: triple")
    cold = _tree_index(repo, head, tmp_path / "cold-cache")
    assert isinstance(cold, LazyCodeIndex)  # before: uncached blobs are read and searched per review

    proc = run_quorum("index", "--repo", str(repo), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"indexed 4 files of {repo} at {head[:12]} (4 parsed, 0 already cached" in proc.stdout
    warm = _tree_index(repo, head, tmp_path / "cache" / "index")  # the cache QUORUM_CACHE_DIR points the review at
    assert not isinstance(warm, LazyCodeIndex) and warm.stats.cached == 4 and warm.stats.parsed == 0

    review = run_quorum("review", "--repo", str(repo), "--format", "json", "--no-log", tmp_path=tmp_path)
    assert review.returncode == 0, review.stderr
    assert json.loads(review.stdout)["timings"]["index_lazy_ms"] == 0


def test_indexing_again_parses_only_new_blobs(tmp_path: Path) -> None:
    repo, base, head = make_repo(tmp_path, BASE, HEAD)
    cache = tmp_path / "idx"
    first = index_tree(repo, base, workers=1, cache_dir=cache)
    assert (first["files"], first["parsed"], first["cached"], first["failed"]) == (4, 4, 0, [])
    second = index_tree(repo, head, workers=1, cache_dir=cache)
    assert (second["sha"], second["parsed"], second["cached"]) == (head, 1, 3)


@pytest.mark.parametrize(
    ("where", "rev", "message"),
    [
        ("missing", "HEAD", "no such directory"),
        ("plain", "HEAD", "not a git repository"),
        ("repo", "no-such-ref", "names no commit"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path: Path, where: str, rev: str, message: str) -> None:
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    (tmp_path / "plain").mkdir()
    target = {"missing": tmp_path / "nope", "plain": tmp_path / "plain", "repo": repo}[where]
    proc = run_quorum("index", "--repo", str(target), "--rev", rev, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("quorum: error: ") and message in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "cache" / "index").exists()


def test_an_unwritable_cache_fails_with_its_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, _, _ = make_repo(tmp_path, BASE, HEAD)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    with pytest.raises(typer.Exit) as exc:
        index_tree(repo, "HEAD", workers=1, cache_dir=blocker / "index")
    assert exc.value.exit_code == 2
    assert "quorum: error: " in capsys.readouterr().err
