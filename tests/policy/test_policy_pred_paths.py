"""Table tests for the path gates: sensitive paths and special files."""

from __future__ import annotations

import pytest

from bot.core.models import Action
from bot.policy.predicates import paths as gates

SENSITIVE = [
    # path, category (None: not sensitive)
    (".github/workflows/ci.yml", "ci"),
    (".github/dependabot.yml", "ci"),
    (".gitlab-ci.yml", "ci"),
    ("Jenkinsfile", "ci"),
    (".quorum.yml", "bot_config"),
    (".quorum.yaml", "bot_config"),
    ("CODEOWNERS", "codeowners"),
    ("docs/CODEOWNERS", "codeowners"),
    ("pyproject.toml", "dependencies"),
    ("setup.py", "dependencies"),
    ("setup.cfg", "dependencies"),
    ("requirements-dev.txt", "dependencies"),
    ("Pipfile.lock", "dependencies"),
    ("poetry.lock", "dependencies"),
    ("uv.lock", "dependencies"),
    ("web/package.json", "dependencies"),
    ("web/package-lock.json", "dependencies"),
    ("yarn.lock", "dependencies"),
    ("pnpm-lock.yaml", "dependencies"),
    ("go.mod", "dependencies"),
    ("go.sum", "dependencies"),
    ("Cargo.toml", "dependencies"),
    ("Cargo.lock", "dependencies"),
    ("Gemfile.lock", "dependencies"),
    ("pom.xml", "dependencies"),
    ("app/build.gradle.kts", "dependencies"),
    ("Dockerfile", "infrastructure"),
    ("deploy/Dockerfile.worker", "infrastructure"),
    ("docker-compose.override.yml", "infrastructure"),
    ("infra/main.tf", "infrastructure"),
    ("deploy/k8s/service.yaml", "infrastructure"),
    ("charts/helm/values.yaml", "infrastructure"),
    ("Makefile", "infrastructure"),
    ("app/migrations/0002_add_index.py", "migrations"),
    ("db/alembic/versions/abc.py", "migrations"),
    ("schema.sql", "migrations"),
    ("src/auth/session.py", "auth_crypto"),
    ("src/oauth.py", "auth_crypto"),
    ("lib/crypto.go", "auth_crypto"),
    ("app/security/headers.py", "auth_crypto"),
    ("config/secrets.yaml", "auth_crypto"),
    ("util/password_reset.py", "auth_crypto"),
    ("api/token_store.rb", "auth_crypto"),
    # not sensitive
    ("src/app.py", None),
    ("README.md", None),
    ("docs/guide/github-actions.md", None),
    ("tests/test_app.py", None),
    ("src/packages/json_utils.py", None),
]


@pytest.mark.parametrize(("path", "category"), SENSITIVE)
def test_sensitive_paths_of_the_default(mk, default_policy, path, category) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.modified(path))))
    assert r.status == ("pass" if category is None else "fail")
    assert r.action is Action.needs_human
    assert r.details["categories"] == ([] if category is None else [category])


@pytest.mark.parametrize(
    ("old", "new", "status"),
    [
        (".github/workflows/ci.yml", "docs/old-ci.yml", "fail"),  # renamed away from a sensitive path
        ("docs/a.md", "src/auth/a.md", "fail"),  # renamed into one
        ("docs/a.md", "docs/b.md", "pass"),
    ],
)
def test_renames_check_old_and_new_path(mk, default_policy, old, new, status) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.renamed(old, new))))
    assert r.status == status


def test_deleting_a_sensitive_file_is_sensitive(mk, default_policy) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.deleted("CODEOWNERS"))))
    assert r.status == "fail"


def test_bot_config_cannot_be_made_insensitive(mk) -> None:
    policy = mk.policy("sensitive_paths: {bot_config: [], ci: []}")
    r = gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified(".quorum.yml"))))
    assert r.status == "fail"
    assert gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified(".github/workflows/x.yml")))).status == "pass"


def test_custom_category_and_configurable_action(mk) -> None:
    policy = mk.policy("sensitive_paths: {billing: ['src/billing/**']}\nactions: {sensitive_path: request_changes}")
    r = gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified("src/billing/invoice.py"))))
    assert (r.status, r.action) == ("fail", Action.request_changes)
    assert r.details["matches"] == [{"path": "src/billing/invoice.py", "category": "billing", "glob": "src/billing/**"}]
    assert "src/billing/invoice.py (billing)" in r.message


def test_message_lists_a_few_paths_then_counts(mk, default_policy) -> None:
    d = mk.diff(*(mk.modified(f"db/migrations/{i:04}.sql") for i in range(8)))
    r = gates.sensitive(default_policy, mk.facts(diff=d))
    assert r.message.endswith("and 3 more")
    assert r.details["match_count"] == 8


def test_control_characters_in_paths_are_escaped(mk, default_policy) -> None:
    d = mk.diff(mk.modified(".github/x\u202e.yml"))
    r = gates.sensitive(default_policy, mk.facts(diff=d))
    assert "\u202e" not in r.message and "\\u202e" in r.message


SPECIAL = [
    ("binary", "binary"),
    ("mode_change", "mode 100644->100755"),
    ("symlink", "symlink"),
    ("submodule", "submodule"),
    ("modified", None),
    ("deleted", None),
]


@pytest.mark.parametrize(("kind", "label"), SPECIAL)
def test_special_files(mk, default_policy, kind, label) -> None:
    chunk = getattr(mk, kind)("assets/thing")
    r = gates.special_files(default_policy, mk.facts(diff=mk.diff(mk.modified("src/app.py"), chunk)))
    assert r.status == ("pass" if label is None else "fail")
    assert r.action is None
    if label:
        assert r.details["files"] == [{"path": "assets/thing", "kinds": [label]}]
        assert label in r.message


def test_non_utf8_text_is_special(mk, default_policy) -> None:
    text = mk.modified("legacy.txt") + "+caf\udce9\n"
    text = text.replace("@@ -1,1 +1,2 @@", "@@ -1,1 +1,3 @@")
    d = mk.diff(text)
    assert d.files[0].non_utf8
    r = gates.special_files(default_policy, mk.facts(diff=d))
    assert r.status == "fail" and "not UTF-8" in r.message
