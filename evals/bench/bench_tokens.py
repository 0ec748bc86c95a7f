"""Benchmark the tokens the LLM layer sends: a full review of real pull requests, then a re-review
after a one-file push (answer cache warm), next to the same re-review without a cache.

Usage::

    git clone <mirror of encode/httpx> /tmp/httpx
    python evals/bench/bench_tokens.py --repo /tmp/httpx [--prs 12] [--tool-rounds 0]

Pull requests are the newest first-parent commits whose subject carries ``(#NNNN)`` (squash
merges) and that change at least one Python file; each is reviewed from its first parent to
itself by the whole pipeline (five agents, code index, policy) with the reasoner configured for
``gpt-4o-mini`` and served by the shared fake model (``bot.testing.fake_llm``), which counts every
token it receives (cl100k_base when litellm's offline copy is available, else characters / 4).
The fake answers "pass" at once, or after ``--tool-rounds`` ``read_file`` calls per file unit.

The "push" is a new commit on top of the PR head, written with git plumbing into the object
database of ``--repo`` (no checkout, no working-tree change), that appends one comment line to
the PR's first changed Python file. Nothing from the repository is executed. Prints one JSON
object; never commits or copies the benchmarked code anywhere.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.adapters.gitlocal import LocalGitSource
from bot.adapters.gitrun import run_git
from bot.adapters.llm import LiteLLMClient
from bot.llm import MemoryCache, Reasoner, ReasonerConfig
from bot.pipeline import PipelineOptions, run_review
from bot.testing.fake_llm import FakeLLM, FakeRequest, Reply, count_tokens

MODEL = "gpt-4o-mini"
_ENV = {
    "GIT_AUTHOR_NAME": "Quorum Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Quorum Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(repo: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    """Run a git command in ``repo`` through the project's runner; stdout stripped. Raises GitError."""
    out = run_git(repo, *args, input=stdin, env={**_ENV, **(env or {})})
    return out.stdout.decode("utf-8", "replace").strip()


def pick_prs(repo: Path, count: int) -> list[tuple[str, str]]:
    """``(sha, subject)`` of the newest squash-merged PRs touching at least one ``.py`` file."""
    out = []
    for line in git(repo, "log", "--first-parent", "--format=%H %s", "-400").splitlines():
        sha, _, subject = line.partition(" ")
        if "(#" not in subject or len(git(repo, "rev-list", "--parents", "-n1", sha).split()) < 2:
            continue
        if any(p.endswith(".py") for p in git(repo, "diff", "--name-only", f"{sha}^", sha).splitlines()):
            out.append((sha, subject))
        if len(out) >= count:
            break
    return out


def push_one_file(repo: Path, head: str, base: str) -> tuple[str, str]:
    """Commit, on top of ``head``, one appended comment line in the first changed Python file
    that exists at ``head``. Returns ``(new_sha, path)``. Uses a temporary index file only."""
    changed = [p for p in git(repo, "diff", "--name-only", "--diff-filter=AMR", base, head).splitlines()
               if p.endswith(".py")]
    path = sorted(changed)[0]
    mode = git(repo, "ls-tree", head, "--", path).split()[0]
    content = run_git(repo, "cat-file", "blob", f"{head}:{path}").stdout
    if content and not content.endswith(b"\n"):
        content += b"\n"
    blob = git(repo, "hash-object", "-w", "--stdin", stdin=content + b"# follow-up push: review comment addressed\n")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(repo, "read-tree", head, env=env)
        git(repo, "update-index", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = git(repo, "write-tree", env=env)
    return git(repo, "commit-tree", tree, "-p", head, "-m", "Address review comment"), path


def responder(tool_rounds: int):  # noqa: ANN201 - returns the fake's responder
    """Answer "pass", after ``tool_rounds`` read_file calls on a file unit's own file."""

    def respond(req: FakeRequest) -> Reply:
        rounds = sum(1 for m in req.messages if m.get("role") == "tool")
        unit = req.unit or ""
        if unit.startswith("file:") and rounds < tool_rounds:
            return Reply.tool("read_file", {"path": unit[5:]})
        return Reply.answer("pass", summary="No problem found.")

    return respond


def review(fake: FakeLLM, reasoner: Reasoner, repo: Path, base: str, head: str, title: str, index_dir: Path) -> dict:
    """One pipeline review; what the fake received and what the verdicts recorded."""
    fake.reset()
    source = LocalGitSource(repo, base=base, head=head, title=title, body=title)
    start = time.perf_counter()
    outcome = run_review(source, PipelineOptions(reasoner=reasoner, cache_dir=index_dir, agent_timeout_s=300))
    result, snapshot = outcome.result, outcome.snapshot
    wall = time.perf_counter() - start
    completion = sum(v.tokens for v in result.verdicts) - fake.prompt_tokens
    return {
        "requests": len(fake.requests),
        "prompt_tokens": fake.prompt_tokens,
        "completion_tokens": completion,
        "cost_usd": round(sum(v.cost_usd for v in result.verdicts), 6),
        "abstained": [v.agent for v in result.verdicts if v.status.value == "abstain"],
        "wall_s": round(wall, 2),
        "stats": snapshot.diff.stats(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--prs", type=int, default=12)
    parser.add_argument("--tool-rounds", type=int, default=0)
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    prs = pick_prs(repo, args.prs)
    rows = []
    with FakeLLM(responder(args.tool_rounds)) as fake, tempfile.TemporaryDirectory() as tmp:
        client = LiteLLMClient(api_base=fake.base_url, api_key="sk-bench", backoff_s=0.0)
        client.warm_up()
        index_dir = Path(tmp) / "index"
        for sha, subject in prs:
            base = git(repo, "rev-parse", f"{sha}^")
            pushed, path = push_one_file(repo, sha, base)
            config = ReasonerConfig(model=MODEL, unit_workers=2)
            warm = Reasoner(client, config, cache=MemoryCache())
            full = review(fake, warm, repo, base, sha, subject, index_dir)
            again = review(fake, warm, repo, base, pushed, subject, index_dir)
            cold = review(fake, Reasoner(client, config, cache=MemoryCache()), repo, base, pushed, subject, index_dir)
            rows.append({
                "commit": sha[:10],
                "title": subject[:80],
                "diff": full.pop("stats"),
                "pushed_file": path,
                "full_review": full,
                "re_review_cached": {k: v for k, v in again.items() if k != "stats"},
                "re_review_uncached": {k: v for k, v in cold.items() if k != "stats"},
                "re_review_share": round(again["prompt_tokens"] / max(1, cold["prompt_tokens"]), 3),
            })
    shares = [r["re_review_share"] for r in rows]
    full_tokens = [r["full_review"]["prompt_tokens"] for r in rows]
    again_tokens = [r["re_review_cached"]["prompt_tokens"] for r in rows]
    report = {
        "command": "python evals/bench/bench_tokens.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "repository": f"{repo.name} @ {git(repo, 'rev-parse', '--short=10', 'HEAD')}",
        "model": f"{MODEL} served by bot.testing.fake_llm (answers pass)",
        "tool_rounds_per_file_unit": args.tool_rounds,
        "tokenizer": "cl100k_base" if count_tokens("hello world") == 2 else "characters / 4",
        "prs": rows,
        "summary": {
            "prs": len(rows),
            "full_review_prompt_tokens": {"median": statistics.median(full_tokens), "total": sum(full_tokens)},
            "re_review_prompt_tokens": {"median": statistics.median(again_tokens), "total": sum(again_tokens)},
            "re_review_share_of_uncached": {"median": statistics.median(shares), "max": max(shares)},
            "requests_full": sum(r["full_review"]["requests"] for r in rows),
            "requests_re_review": sum(r["re_review_cached"]["requests"] for r in rows),
        },
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
