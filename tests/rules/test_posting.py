"""The posting rule (issue 10): rules/registry/quiet.yml is data generated from the development
labels by evals/findings/posting.py; the registry applies it and refuses to quiet a security rule."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from bot.core.registry import is_posted, is_security_rule, load_registry, registry_root

ROOT = Path(__file__).resolve().parents[2]


def _posting():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("posting", ROOT / "evals" / "findings" / "posting.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quiet_yml_is_generated_from_the_development_labels() -> None:
    posting = _posting()
    _rows, quiet = posting.table(ROOT / "evals" / "findings")
    assert (ROOT / "rules" / "registry" / "quiet.yml").read_text(encoding="utf-8") == posting.render(quiet)


def test_decisions_follow_the_counts(tmp_path: Path) -> None:
    """3 labels at 2/3 posts a rule, 2/2 does not (too few), 1/3 does not; security rules always post."""
    labels = []
    for rule, worth, n in (("logic/removed-guard", 2, 3), ("logic/inverted-condition", 2, 2),
                           ("logic/removed-branch", 1, 3), ("safety/secret", 0, 5), ("QJS002", 3, 3)):
        labels += [{"commit": "a" * 40, "rule": rule, "label": "true" if i < worth else "false", "reason": "why"}
                   for i in range(n)]
    import yaml  # noqa: PLC0415

    (tmp_path / "x+y.yml").write_text(yaml.safe_dump(
        {"repo": "x/y", "set": "development", "language": "python", "commits": ["a" * 40], "labels": labels}))
    (tmp_path / "h+o.yml").write_text(yaml.safe_dump(  # held-out labels are never read
        {"repo": "h/o", "set": "held-out", "language": "python", "commits": ["a" * 40],
         "labels": [{"commit": "a" * 40, "rule": "logic/removed-branch", "label": "true", "reason": "why"}] * 9}))
    rows, quiet = _posting().table(tmp_path)
    decision = {r[0]: r[3] for r in rows}
    assert decision["logic/removed-guard"] == "posted"
    assert decision["logic/inverted-condition"] == "quiet" and decision["logic/removed-branch"] == "quiet"
    assert decision["safety/secret"] == "posted (security)"
    assert decision["lint/oxlint/eslint/no-var"] == "posted"  # QJS002's labels count for its replacement
    assert "safety/secret" not in quiet and "logic/removed-branch" in quiet


def test_registry_applies_quiet_yml_and_refuses_security_or_unknown_ids(tmp_path: Path) -> None:
    root = tmp_path / "registry"
    shutil.copytree(str(registry_root()), root)
    (root / "quiet.yml").write_text("quiet: [logic/removed-guard]\n")
    reg = load_registry(root)
    assert reg.require("logic/removed-guard").quiet and not is_posted("logic/removed-guard", "major", reg)
    assert is_posted("logic/inverted-condition", "major", reg)
    (root / "quiet.yml").write_text("quiet: [safety/secret]\n")
    with pytest.raises(ValueError, match="security rules are always posted"):
        load_registry(root)
    (root / "quiet.yml").write_text("quiet: [logic/no-such-rule]\n")
    with pytest.raises(ValueError, match="unknown rule ids"):
        load_registry(root)
    (root / "quiet.yml").write_text("quiet: logic/removed-guard\n")
    with pytest.raises(ValueError, match="a list of rule ids"):
        load_registry(root)


def test_security_rules_are_posted_by_default() -> None:
    reg = load_registry()
    security = [r for r in reg.rules if is_security_rule(r)]
    assert {"safety/secret", "safety/sensitive-path", "safety/prompt-injection", "safety/hidden-unicode"} <= {
        r.id for r in security}
    assert all(not r.quiet for r in security)
