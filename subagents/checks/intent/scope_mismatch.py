"""Check ``scope_mismatch``: ``intent/scope-mismatch``, the title's scope or a path it names is a part
of the repository that no touched file matches and the diff does not mention."""

from __future__ import annotations

from bot.core.models import Finding, Severity
from subagents.checks.intent._areas import CATEGORY_SCOPES, areas, matches_area, norm, path_matches, singular
from subagents.checks.intent._facts import AGENT, IntentFacts, finding, intent_facts, words
from subagents.framework import Check
from subagents.view import CheckView

def _mentioned_in_diff(facts: IntentFacts, token: str) -> bool:
    """True when the changed lines (or their hunks' section headers) use ``token`` as a word or
    inside an identifier (``billing`` in ``BillingClient``): the change is about it."""
    seen = facts.diff_words()
    tok = norm(token).strip("/")
    if "/" in tok or "." in tok:
        tok = tok.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    parts = words(tok)
    if not parts:
        return False
    if all(p in seen or singular(p) in seen for p in parts):
        return True
    joined = "".join(parts)
    return len(joined) >= 4 and any(joined in w for w in facts.diff_identifiers())


def _existing_areas(facts: IntentFacts, token: str) -> list[str]:
    """Up to three base/head paths that ``token`` names (empty: it names no part of the repository)."""
    out = []
    tok = norm(token).strip("/")
    probe = (tok.rsplit("/", 1)[-1].rsplit(".", 1)[0] if ("/" in tok or "." in tok) else singular(tok))[:3]
    for path in facts.all_paths():
        if probe not in path.lower().replace("-", "_"):
            continue  # cheap filter: every match shares the token's first letters
        if path_matches(token, path):
            out.append(path)
            if len(out) >= 3:
                break
    return out


def check_scope(facts: IntentFacts) -> list[Finding]:
    """``intent/scope-mismatch``: a scope (``fix(parser): ...``) or path named in the title that
    names a part of the repository (a directory, module or file of the base or head tree), while
    no changed file matches it and the changed lines do not mention it. Scopes are feature areas
    as often as directories (``feat(api)``, ``fix(auth)``), so a scope that names nothing in the
    repository, or that a changed path segment, file stem, word of one or symbol in the diff
    plausibly matches, is not reported. Major: the change is elsewhere than the title says.
    ``deps``/``ci``/``docs``/``tests`` scopes match file categories (minor when none matches)."""
    if not facts.files:
        return []
    out = []
    for token in areas(facts):
        if any(matches_area(token, fc) for fc in facts.files):
            continue
        if token in CATEGORY_SCOPES:
            out.append(finding(
                "intent/scope-mismatch", Severity.minor,
                f"The title names `{token}`, but no changed file is of that kind.",
                anchor=f"scope:{token}", evidence=[fc.path for fc in facts.files[:8]],
                suggestion="Fix the title's scope, or check that the intended files are part of the change.",
            ))
            continue
        if _mentioned_in_diff(facts, token):
            continue
        named = _existing_areas(facts, token)
        if not named:
            continue
        changed = ", ".join(f"`{fc.path}`" for fc in facts.files[:3]) + (" ..." if len(facts.files) > 3 else "")
        out.append(finding(
            "intent/scope-mismatch", Severity.major,
            f"The title names `{token}` (in this repository: `{named[0]}`), but the change is elsewhere: {changed}.",
            anchor=f"scope:{token}", evidence=named + [fc.path for fc in facts.files[:8]],
            suggestion="Fix the title's scope, or check that the intended files are part of the change.",
        ))
    return out


def run(view: CheckView) -> list[Finding]:
    """:func:`check_scope` over this review's intent facts."""
    return check_scope(intent_facts(view))

CHECK = Check(name="scope_mismatch", agent=AGENT, rules=("intent/scope-mismatch",), run=run, order=20)

__all__ = ['CHECK', 'check_scope', 'run']
