"""How often one check's rules fire on real merged pull requests: the cost side of a new rule.

Samples ``--sample`` merged PRs (first-parent merges and squash merges, :func:`bot.evals.history.find_merged_prs`)
of a local clone with a seeded RNG, reads each one's change exactly as a review does
(:class:`bot.adapters.gitlocal.LocalGitSource`, base = the PR's first parent), runs only the named check of
its agent over it (the agent's ``prepare`` first, as :func:`bot.testing.rule_fixtures.run_check_fixture`
does), and prints JSON: per rule the findings and the PRs with at least one, the PRs with any finding,
and each finding's PR, path, line and message (to read by hand). Nothing is checked out or run.

    python scripts/rule_firing.py --repo /tmp/s9inject/httpx --check logic/dropped --sample 200 --seed 1

Exit status 2 with a one-line message for an unknown check or a path that is not a git repository.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point; see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--check", required=True, help="agent/check, e.g. logic/dropped")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from bot.adapters.gitlocal import LocalGitSource
    from bot.core.context import ReviewContext
    from bot.core.errors import SourceError
    from bot.evals.history import find_merged_prs, head_info
    from subagents import agent_class
    from subagents.framework import CheckedAgent, discover
    from subagents.view import CheckView

    agent_name, _, check_name = args.check.partition("/")
    try:
        check = next(c for c in discover(agent_name) if c.name == check_name)
    except (StopIteration, ValueError):
        print(f"error: no check {args.check!r}", file=sys.stderr)
        return 2
    agent = agent_class(agent_name)()
    assert isinstance(agent, CheckedAgent)
    try:
        head, _ = head_info(args.repo)
        prs = find_merged_prs(args.repo, ref=head)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    prs = [p for p in prs if p.base]
    sample = random.Random(args.seed).sample(prs, min(args.sample, len(prs)))
    per_rule: Counter[str] = Counter()
    prs_per_rule: Counter[str] = Counter()
    hits, errors, fired = [], 0, 0
    start = time.process_time()
    for pr in sample:
        try:
            snap = LocalGitSource(args.repo, base=pr.base, head=pr.sha, title=pr.title, body="").snapshot()
        except SourceError:
            errors += 1
            continue
        try:
            ctx = ReviewContext(pr=snap.pr, diff=snap.diff, base=snap.base, head=snap.head)  # type: ignore[arg-type]
            view = CheckView(ctx, agent.name, agent.params())
            agent.prepare(view)
            found = agent.run_check(check, view).findings
        finally:
            snap.close()
        if found:
            fired += 1
        for rid in {f.rule_id for f in found}:
            prs_per_rule[rid] += 1
        for f in found:
            per_rule[f.rule_id] += 1
            hits.append({"pr": pr.number, "sha": pr.sha[:10], "title": pr.title[:80], "rule": f.rule_id,
                         "path": f.path, "line": f.line, "message": f.message[:200]})
    print(json.dumps({
        "repo": str(args.repo), "head": head, "check": args.check, "sample": len(sample), "seed": args.seed,
        "errors": errors, "prs_with_a_finding": fired, "findings_per_rule": dict(per_rule.most_common()),
        "prs_per_rule": dict(prs_per_rule.most_common()), "cpu_s": round(time.process_time() - start, 1),
        "findings": hits,
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
