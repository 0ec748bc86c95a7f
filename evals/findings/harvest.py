"""Pick real squash-merged PRs of a repository, review them, and list the findings for labelling.

Usage (from the repository root, with Quorum installed)::

    python evals/findings/harvest.py --repo /path/to/clone --slug encode/starlette \
        --set development --language python --prs 20 --seed 1 [--out evals/findings]

It writes ``<out>/<owner>+<name>.yml`` (the commits, plus any labels already there, kept) and
``<out>/.work/<owner>+<name>.jsonl``: one line per finding with the code around it, to be read and
judged by a person. Labels are then written into the YAML by hand (see ``bot/evals/findings.py``).
The PRs are chosen at random (``--seed``) among squash merges by people (not bots) that change
``--min-lines``..``--max-lines`` lines and at least one source file of ``--language``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import yaml

from bot.adapters.gitrun import run_git

EXTENSIONS = {"python": (".py",), "javascript": (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"),
              "go": (".go",)}
BOTS = ("[bot]", "dependabot", "renovate", "pre-commit-ci", "github-actions")


def changed_lines(repo: Path, sha: str) -> tuple[int, list[str]]:
    """(added + deleted lines, changed paths) of ``sha`` against its first parent."""
    out = run_git(repo, "diff", "--numstat", "--no-renames", f"{sha}^", sha).stdout.decode("utf-8", "replace")
    total, paths = 0, []
    for line in out.splitlines():
        added, deleted, path = line.split("\t", 2)
        if added != "-":
            total += int(added) + int(deleted)
        paths.append(path)
    return total, paths


def context(repo: Path, sha: str, path: str | None, line: int | None, radius: int = 6) -> str:
    """The head version's lines around ``path:line`` (numbered), or '' when not applicable."""
    if not path or not line:
        return ""
    proc = run_git(repo, "show", f"{sha}:{path}", check=False)
    if proc.returncode != 0:
        return ""
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    lo, hi = max(1, line - radius), min(len(lines), line + radius)
    return "\n".join(f"{n:5d}{'>' if n == line else ' '} {lines[n - 1][:160]}" for n in range(lo, hi + 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("--set", choices=("development", "held-out"), required=True)
    parser.add_argument("--language", choices=sorted(EXTENSIONS), required=True)
    parser.add_argument("--prs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-lines", type=int, default=10)
    parser.add_argument("--max-lines", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)

    from bot.evals.findings import review_commit  # noqa: PLC0415
    from bot.evals.history import find_merged_prs  # noqa: PLC0415
    from bot.pipeline import PipelineOptions  # noqa: PLC0415

    prs = [p for p in find_merged_prs(args.repo) if p.kind == "squash" and not any(b in p.author.lower() for b in BOTS)]
    random.Random(args.seed).shuffle(prs)
    name = args.slug.replace("/", "+")
    yml = args.out / f"{name}.yml"
    data = yaml.safe_load(yml.read_text()) if yml.exists() else {
        "repo": args.slug, "set": args.set, "language": args.language, "commits": [], "labels": []}
    chosen: list[str] = list(data["commits"])
    for pr in prs:
        if len(chosen) >= args.prs:
            break
        if pr.sha in chosen:
            continue
        total, paths = changed_lines(args.repo, pr.sha)
        if args.min_lines <= total <= args.max_lines and any(p.endswith(EXTENSIONS[args.language]) for p in paths):
            chosen.append(pr.sha)
    data["commits"] = chosen
    options = PipelineOptions()
    work = args.out / ".work"
    work.mkdir(exist_ok=True)
    with (work / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        for sha in chosen:
            try:
                findings = review_commit(args.repo, sha, options)
            except Exception as exc:  # noqa: BLE001 - reported, the others still run
                print(f"{sha[:10]}: {exc}", file=sys.stderr)
                continue
            subject = run_git(args.repo, "log", "-1", "--format=%s", sha).stdout.decode("utf-8", "replace").strip()
            for f in findings:
                fh.write(json.dumps({"commit": sha, "subject": subject, **f,
                                     "context": context(args.repo, sha, f.get("path"), f.get("line"))}) + "\n")
    yml.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    print(f"{args.slug}: {len(chosen)} commits -> {yml}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
