"""CODEOWNERS: parse the file and find who owns a set of changed paths. Pure.

Source: GitHub docs, "About code owners": one ``pattern owner...`` rule per line, ``#`` comments,
gitignore-style patterns, and the **last** matching rule wins. Owners are ``@user``,
``@org/team`` or e-mail addresses (e-mails cannot be requested as reviewers through the API and
are skipped). A rule with no owners un-owns the paths it matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.policy.globs import GlobError, glob_to_regex


@dataclass(frozen=True)
class OwnerRule:
    """One CODEOWNERS line: the pattern, its compiled regex and its owners (without ``@``)."""

    pattern: str
    regex: re.Pattern[str]
    owners: tuple[str, ...]


def parse_codeowners(text: str) -> list[OwnerRule]:
    """The rules of a CODEOWNERS file, in file order; unparseable lines are skipped."""
    rules: list[OwnerRule] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        pattern, owners = parts[0], tuple(o[1:] for o in parts[1:] if o.startswith("@") and len(o) > 1)
        try:
            rules.append(OwnerRule(pattern, re.compile(glob_to_regex(pattern)), owners))
        except (GlobError, re.error):
            continue
    return rules


def owners_for(rules: list[OwnerRule], paths: list[str]) -> tuple[list[str], list[str]]:
    """``(users, team_slugs)`` owning any of ``paths`` (last matching rule per path), sorted.

    Teams are returned as their slug (``org/team`` -> ``team``), as the reviewers API expects.
    """
    users: set[str] = set()
    teams: set[str] = set()
    for path in paths:
        candidates = _self_and_parents(path)
        owner: tuple[str, ...] = ()
        for rule in rules:
            if any(rule.regex.match(c) for c in candidates):
                owner = rule.owners
        for o in owner:
            if "/" in o:
                teams.add(o.split("/", 1)[1])
            else:
                users.add(o)
    return sorted(users), sorted(teams)


def _self_and_parents(path: str) -> list[str]:
    segs = [s for s in path.strip("/").split("/") if s]
    return ["/".join(segs[:i]) for i in range(len(segs), 0, -1)]
