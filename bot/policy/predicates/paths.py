"""Gates on which files changed: sensitive paths, and files the sub-agents cannot read as text."""

from __future__ import annotations

from bot.core.diff import FileChange
from bot.core.models import RuleResult
from bot.core.sensitive import explain_path
from bot.policy.facts import PolicyInput
from bot.policy.globs import GlobSet
from bot.policy.model import Policy
from bot.policy.predicates.base import capped, leaf, listing, quote


def sensitive(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``paths.sensitive``: no changed path (head path, and the old path of a rename or copy) is in
    a switched-on built-in category of :mod:`bot.core.sensitive` (``sensitive_paths.categories``;
    ``bot_config`` always) or matches a glob of ``sensitive_paths.extra``. Asks for
    ``actions.sensitive_path`` when it fails. ``details.matches`` name the category and the rule
    (glob or word) of each hit."""
    enabled = policy.sensitive_paths.categories.enabled()
    extra = GlobSet(policy.extra_sensitive_globs())
    hits: list[dict[str, str]] = []
    for f in facts.diff.files:
        for p in dict.fromkeys(x for x in (f.path, f.old_path) if x):
            for m in explain_path(p, enabled):
                hits.append({"path": quote(p, 300), "category": m.category, "rule": m.rule})
            if (x := extra.match(p)) is not None:
                hits.append({"path": quote(p, 300), "category": x[0], "rule": f"glob {x[1]} (sensitive_paths.extra)"})
    if hits:
        by_path: dict[str, list[str]] = {}
        for h in hits:
            by_path.setdefault(h["path"], []).append(h["category"])
        message = "touches sensitive paths: " + listing(f"{quote(p)} ({', '.join(c)})" for p, c in by_path.items())
    else:
        message = "no sensitive path changed"
    return leaf(
        "paths.sensitive",
        "No sensitive path changed (bot config, CI, CODEOWNERS, dependencies, infrastructure, migrations, "
        "auth/crypto code and key material, the policy's extra globs)",
        not hits,
        message,
        action=policy.actions.of("sensitive_path"),
        details={
            "matches": capped(hits),
            "match_count": len(hits),
            "categories": sorted({h["category"] for h in hits}),
            "enabled_categories": enabled,
        },
    )


def _special(f: FileChange) -> list[str]:
    kinds = []
    if f.is_binary:
        kinds.append("binary")
    if f.is_submodule:
        kinds.append("submodule")
    if f.is_symlink:
        kinds.append("symlink")
    if f.mode_changed:
        kinds.append(f"mode {f.old_mode}->{f.new_mode}")
    if f.non_utf8:
        kinds.append("not UTF-8")
    return kinds


def special_files(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``paths.special_files``: no binary file, submodule, symlink, mode change or non-UTF-8
    text. The sub-agents cannot review such changes, so they are never auto-approved."""
    found = [{"path": quote(f.path, 300), "kinds": k} for f in facts.diff.files if (k := _special(f))]
    if found:
        message = "cannot be reviewed as text: " + listing(f"{quote(x['path'])} ({', '.join(x['kinds'])})" for x in found)
    else:
        message = "every changed file is plain text with an unchanged mode"
    return leaf(
        "paths.special_files",
        "No binary files, submodules, symlinks, mode changes or non-UTF-8 text",
        not found,
        message,
        details={"files": capped(found), "count": len(found)},
    )
