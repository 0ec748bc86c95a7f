"""The areas a pull request's title names (its conventional-commit scope, paths it mentions) and
how they match changed files; shared by the ``scope_mismatch`` and ``unrelated_files`` checks."""

from __future__ import annotations

from bot.core.diff import FileChange
from subagents import _paths
from subagents.checks.intent._facts import IntentFacts, words
from subagents.checks.intent._text import path_mentions

CATEGORY_SCOPES: dict[str, tuple[str, ...]] = {
    "deps": ("build", "ci"), "deps-dev": ("build", "ci"), "dev-deps": ("build", "ci"), "devdeps": ("build", "ci"),
    "dependencies": ("build", "ci"), "dependency": ("build", "ci"), "ci": ("ci",), "docs": ("doc",),
    "doc": ("doc",), "readme": ("doc",), "examples": ("doc",), "test": ("test",), "tests": ("test",),
    "build": ("build",),
}
"""Scopes that name a kind of file rather than a directory (Dependabot's ``deps`` covers
dependency manifests and pinned CI actions)."""
GENERIC_SCOPES = frozenset(
    {"*", "all", "misc", "general", "global", "repo", "project", "release", "deps-all", "main", "root",
     "workspace", "lint", "style", "types", "typing", "format", "i18n", "l10n", "refactor", "perf",
     "chore", "fix", "feat", "revert", "security", "core"}
)


def norm(s: str) -> str:
    """``s`` lower case, ``-`` as ``_``, stripped: how scopes and paths are compared."""
    return s.lower().replace("-", "_").strip()


def singular(word: str) -> str:
    """A naive English singular (``orders`` -> ``order``, ``entries`` -> ``entry``, ``classes`` -> ``class``)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def component_matches(tok: str, comp: str) -> bool:
    """A scope word against one path component (directory name or file stem), both normalized:
    equal, equal as words or singulars (``orders`` ~ ``order_list``), a prefix (``git`` ~
    ``gitlog``), or a substring of four letters or more (``auth`` ~ ``oauth2``)."""
    if not comp:
        return False
    if comp == tok or singular(comp) == singular(tok):
        return True
    stok = singular(tok)
    if any(w == tok or singular(w) == stok for w in words(comp)):
        return True
    if len(tok) >= 3 and (comp.startswith(tok) or comp.startswith(stok)):
        return True
    if len(stok) >= 4 and stok in comp:
        return True
    return len(comp) >= 4 and comp in tok


def path_matches(token: str, path: str) -> bool:
    """``token`` (a scope part or a path named in the title) against one file path."""
    tok = norm(token).strip("/")
    low = norm(path)
    if "/" in tok or "." in tok:
        if tok in low:
            return True
        stem = tok.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        file_stem = low.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if "/" not in tok and stem and component_matches(stem, file_stem):
            return True
        return False
    parts = low.split("/")
    comps = [p.rsplit(".", 1)[0] if i == len(parts) - 1 else p for i, p in enumerate(parts)]
    return any(component_matches(tok, comp) for comp in comps)


def matches_area(token: str, fc: FileChange) -> bool:
    """True when changed file ``fc`` (or its old path) is in the area ``token`` names; category
    scopes (``deps``, ``docs``, ``ci`` ...) match by file category."""
    cats = CATEGORY_SCOPES.get(token)
    if cats is not None:
        return any(_paths.category(p) in cats for p in file_paths(fc))
    return any(path_matches(token, p) for p in file_paths(fc))


def file_paths(fc: FileChange) -> list[str]:
    """The path of ``fc`` and, for a rename, its old path."""
    return [fc.path] + ([fc.old_path] if fc.old_path else [])


def areas(facts: IntentFacts) -> list[str]:
    """Areas the title names: its scope's parts (generic scopes such as ``deps-all`` or ``*``
    dropped) and path-like words that are real paths: a file name with an extension, or an
    ``a/b`` that occurs as consecutive directories in the base or head tree (so prose such as
    "SQLite/PostgreSQL" or "text/markdown" is not taken for a path)."""
    tokens: list[str] = []
    if facts.title.scope:
        for part in facts.title.scope.split(","):
            part = part.strip()
            if part and part not in GENERIC_SCOPES:
                tokens.append(part)
    for mention in path_mentions(facts.title.raw):
        last = mention.rstrip("/").rsplit("/", 1)[-1]
        if "." in last.lstrip(".") or facts.path_exists(mention):
            tokens.append(mention)
    return list(dict.fromkeys(tokens))


__all__ = ["CATEGORY_SCOPES", "GENERIC_SCOPES", "areas", "matches_area", "norm", "path_matches", "singular"]
