"""Tests for bot.core.sensitive.classify_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.sensitive import SENSITIVE_CATEGORIES, classify_path, matches_glob


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".github/workflows/ci.yml", ["ci"]),
        (".github/dependabot.yml", ["ci"]),
        (".gitlab-ci.yml", ["ci", "infrastructure"]),
        ("Jenkinsfile", ["ci", "infrastructure"]),
        (".quorum.yml", ["bot_config"]),
        (".quorum.yaml", ["bot_config"]),
        ("CODEOWNERS", ["codeowners"]),
        ("docs/CODEOWNERS", ["codeowners"]),
        (".github/CODEOWNERS", ["ci", "codeowners"]),
        ("pyproject.toml", ["dependencies"]),
        ("setup.py", ["dependencies"]),
        ("setup.cfg", ["dependencies"]),
        ("backend/requirements-dev.txt", ["dependencies"]),
        ("requirements/base.txt", ["dependencies"]),
        ("Pipfile.lock", ["dependencies"]),
        ("poetry.lock", ["dependencies"]),
        ("uv.lock", ["dependencies"]),
        ("web/package.json", ["dependencies"]),
        ("web/package-lock.json", ["dependencies"]),
        ("yarn.lock", ["dependencies"]),
        ("pnpm-lock.yaml", ["dependencies"]),
        ("go.mod", ["dependencies"]),
        ("go.sum", ["dependencies"]),
        ("Cargo.toml", ["dependencies"]),
        ("Cargo.lock", ["dependencies"]),
        ("Gemfile.lock", ["dependencies"]),
        ("pom.xml", ["dependencies"]),
        ("app/build.gradle.kts", ["dependencies"]),
        ("Dockerfile", ["infrastructure"]),
        ("docker/Dockerfile.prod", ["infrastructure"]),
        ("dockerfile", ["infrastructure"]),
        ("docker-compose.override.yml", ["infrastructure"]),
        ("infra/main.tf", ["infrastructure"]),
        ("deploy/k8s/deployment.yaml", ["infrastructure"]),
        ("charts/helm/values.yaml", ["infrastructure"]),
        ("Makefile", ["infrastructure"]),
        ("db/migrations/0001_initial.py", ["migrations"]),
        ("alembic/versions/abc.py", ["migrations"]),
        ("schema.sql", ["migrations"]),
        ("src/auth/views.py", ["auth"]),
        ("src/AuthService.ts", ["auth"]),
        ("src/OAuthClient.java", ["auth"]),
        ("app/user_login.py", ["auth"]),
        ("app/session.py", ["auth"]),
        ("app/permissions.py", ["auth"]),
        ("lib/jwt_utils.py", ["crypto"]),
        ("net/tls.go", ["crypto"]),
        ("pkg/cipher/aes.go", ["crypto"]),
        ("web/src/tokens/colors.ts", []),  # design tokens, not credentials
        ("config/secrets.yaml", ["crypto"]),
        ("app/password_reset.py", ["crypto"]),
        ("certs/server.pem", ["crypto"]),
        (".env", ["crypto"]),
        (".env.production", ["crypto"]),
    ],
)
def test_classify_sensitive(path: str, expected: list[str]) -> None:
    assert classify_path(path) == expected


@pytest.mark.parametrize(
    "path",
    ["src/app.py", "README.md", "docs/index.md", "src/author.py", "src/tokenizer.py", "lib/authority_map.go",
     "tests/test_parser.py", "src/packages.py", "", "src/makefile_parser.py"],
)
def test_classify_not_sensitive(path: str) -> None:
    assert classify_path(path) == []


def test_categories_are_the_documented_ones() -> None:
    assert set(SENSITIVE_CATEGORIES) == {
        "ci", "bot_config", "codeowners", "dependencies", "infrastructure", "migrations", "auth", "crypto"
    }


def test_glob_semantics() -> None:
    assert matches_glob(".github/workflows/x.yml", ".github/**")
    assert not matches_glob("sub/.github/workflows/x.yml", ".github/**")
    assert matches_glob("a/b/Dockerfile.dev", "Dockerfile*")
    assert matches_glob("x/k8s/y/z.yaml", "**/k8s/**")
    assert not matches_glob("x/k8sfoo/z.yaml", "**/k8s/**")


def test_consistent_with_default_policy() -> None:
    """Every glob of the default policy's sensitive_paths is also sensitive here."""
    policy = Path(__file__).resolve().parents[2] / "rules" / "default_policy.yml"
    data = yaml.safe_load(policy.read_text(encoding="utf-8"))
    mine = {g for globs in SENSITIVE_CATEGORIES.values() for g in globs}
    theirs = {g for globs in data["sensitive_paths"].values() for g in globs}
    word_based = {"**/*auth*.py", "**/*crypto*", "**/*secret*", "**/*password*", "**/*token*"}
    assert theirs - mine - word_based == set()
