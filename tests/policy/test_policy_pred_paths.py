"""Table tests for the path gates: sensitive paths and special files."""

from __future__ import annotations

import pytest

from bot.core.models import Action
from bot.core.sensitive import CATEGORIES, classify_path
from bot.policy.predicates import paths as gates

SENSITIVE = [
    # path, category (None: not sensitive)
    (".github/workflows/ci.yml", "ci"),
    (".github/dependabot.yml", "ci"),
    (".gitlab-ci.yml", "ci", "infrastructure"),
    ("Jenkinsfile", "ci", "infrastructure"),
    (".pre-commit-config.yaml", "ci"),
    (".pre-commit-hooks.yaml", "ci"),  # black #3940: reverted, and approved before this was listed
    ("action.yml", "ci"),
    (".readthedocs.yaml", "ci"),
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
    ("docs/requirements.txt", "dependencies"),  # doc builds install and run these packages
    ("requirements/docs.in", "dependencies"),
    ("src/auth/session.py", "auth"),
    ("src/oauth.py", "auth"),
    ("httpx/_auth.py", "auth"),
    ("lib/crypto.go", "crypto"),
    ("app/security/headers.py", "auth"),
    ("config/secrets.yaml", "crypto"),
    ("util/password_reset.py", "crypto"),
    ("api/token_store.rb", "crypto"),
    ("certs/server.pem", "crypto"),
    ("tests/fixtures/server.key", "crypto"),  # key material counts anywhere
    # not sensitive
    ("src/app.py", None),
    ("README.md", None),
    ("docs/guide/github-actions.md", None),
    ("tests/test_app.py", None),
    ("src/packages/json_utils.py", None),
    ("src/blib2to3/pgen2/tokenize.py", None),  # tokenize is not token
    ("src/blib2to3/pgen2/token.py", None),  # lexer tokens, not credentials
    ("src/author.py", None),
    ("tests/client/test_auth.py", None),  # a test of auth code is not auth code
    ("docs/advanced/ssl.md", None),
    ("SECURITY.md", None),
    ("pydantic/_internal/_signature.py", None),  # function signatures
    (".github/ISSUE_TEMPLATE/bug.md", None),
    (".github/PULL_REQUEST_TEMPLATE.md", None),
    ("tests/fixtures/sample_project/pyproject.toml", None),  # a test fixture, not a manifest
]


@pytest.mark.parametrize(("path", "category"), [(p, c) for p, c, *_ in SENSITIVE])
def test_sensitive_paths_of_the_default(mk, default_policy, path, category) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.modified(path))))
    assert r.status == ("pass" if category is None else "fail")
    assert r.action is Action.needs_human
    expected = next(row[1:] for row in SENSITIVE if row[0] == path)
    assert r.details["categories"] == sorted(c for c in expected if c)


@pytest.mark.parametrize("path", [p for p, *_ in SENSITIVE])
def test_gate_agrees_with_the_core_classifier(mk, default_policy, path) -> None:
    """One source of truth: the gate's categories are bot.core.sensitive's (the safety agent's)."""
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.modified(path))))
    assert r.details["categories"] == sorted(classify_path(path))


def test_matches_name_the_rule(mk, default_policy) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.modified("src/user_login.py"), mk.modified("ci/Dockerfile"))))
    assert {(m["path"], m["category"], m["rule"]) for m in r.details["matches"]} == {
        ("src/user_login.py", "auth", "word 'login' in the file name"),
        ("ci/Dockerfile", "infrastructure", "glob Dockerfile*"),
    }


@pytest.mark.parametrize(
    ("old", "new", "status"),
    [
        (".github/workflows/ci.yml", "docs/old-ci.yml", "fail"),  # renamed away from a sensitive path
        ("docs/a.py", "src/auth/a.py", "fail"),  # renamed into one
        ("src/a.py", "src/auth/a.md", "pass"),  # documentation is not auth code
        ("docs/a.md", "docs/b.md", "pass"),
    ],
)
def test_renames_check_old_and_new_path(mk, default_policy, old, new, status) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.renamed(old, new))))
    assert r.status == status


def test_deleting_a_sensitive_file_is_sensitive(mk, default_policy) -> None:
    r = gates.sensitive(default_policy, mk.facts(diff=mk.diff(mk.deleted("CODEOWNERS"))))
    assert r.status == "fail"


def test_bot_config_stays_sensitive_with_every_other_category_off(mk) -> None:
    off = ", ".join(f"{c}: false" for c in CATEGORIES if c != "bot_config")
    policy = mk.policy(f"sensitive_paths: {{categories: {{{off}}}}}")
    r = gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified(".quorum.yml"))))
    assert r.status == "fail" and r.details["categories"] == ["bot_config"]
    for path in (".github/workflows/x.yml", "pyproject.toml", "src/auth/login.py", "server.pem"):
        assert gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified(path)))).status == "pass", path


def test_a_category_switched_off_no_longer_holds_back(mk) -> None:
    policy = mk.policy("sensitive_paths: {categories: {dependencies: false}}")
    facts = mk.facts(diff=mk.diff(mk.modified("poetry.lock")))
    assert gates.sensitive(policy, facts).status == "pass"
    both = mk.facts(diff=mk.diff(mk.modified("poetry.lock"), mk.modified(".github/workflows/ci.yml")))
    assert gates.sensitive(policy, both).details["categories"] == ["ci"]


def test_custom_category_and_configurable_action(mk) -> None:
    policy = mk.policy("sensitive_paths: {extra: {billing: ['src/billing/**']}}\nactions: {sensitive_path: request_changes}")
    r = gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified("src/billing/invoice.py"))))
    assert (r.status, r.action) == ("fail", Action.request_changes)
    assert r.details["matches"] == [
        {"path": "src/billing/invoice.py", "category": "billing", "rule": "glob src/billing/** (sensitive_paths.extra)"}
    ]
    assert "src/billing/invoice.py (billing)" in r.message
    # the built-in categories still apply next to the extra globs
    assert gates.sensitive(policy, mk.facts(diff=mk.diff(mk.modified("Makefile")))).status == "fail"


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
