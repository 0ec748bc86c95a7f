"""Tests for bot.core.sensitive: the one classifier of sensitive paths (policy gate and safety agent)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.sensitive import CATEGORIES, SENSITIVE_CATEGORIES, SensitiveMatch, classify_path, explain_path, matches_glob


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
     "tests/test_parser.py", "src/packages.py", "", "src/makefile_parser.py",
     # word-based, not substrings; lexer tokens are not credentials
     "src/blib2to3/pgen2/tokenize.py", "src/blib2to3/pgen2/token.py", "lib/parser/tokens.py",
     # tests and docs are not auth/crypto code
     "tests/client/test_auth.py", "tests/utils/test_password_manager.py", "tests/auth/test_login.py",
     "SECURITY.md", "docs/security.rst", "docs/advanced/ssl.md", "examples/tutorial/flaskr/auth.py",
     "docs/examples/types_secret_types.py", "static/img/login.png",
     # function signatures are not cryptographic ones
     "pydantic/_internal/_signature.py",
     # GitHub community files are not CI
     ".github/ISSUE_TEMPLATE/bug_report.md", ".github/ISSUE_TEMPLATE/config.yml", ".github/PULL_REQUEST_TEMPLATE.md",
     ".github/pull_request_template.md", ".github/CODE_OF_CONDUCT.md", ".github/SECURITY.md", ".github/FUNDING.yml",
     # manifests in test fixtures are test data
     "tests/fixtures/sample_project/pyproject.toml", "tests/data/include_exclude_tests/pyproject.toml",
     "pkg/testdata/go.mod"],
)
def test_classify_not_sensitive(path: str) -> None:
    assert classify_path(path) == [], explain_path(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".pre-commit-hooks.yaml", ["ci"]),  # runs in other people's pre-commit (black #3940)
        (".pre-commit-config.yaml", ["ci"]),
        ("action.yml", ["ci"]),
        (".github/actions/setup/action.yaml", ["ci"]),
        (".github/workflows/docs.yml", ["ci"]),
        (".github/dependabot.yml", ["ci"]),
        (".readthedocs.yaml", ["ci"]),
        ("docs/requirements.txt", ["dependencies"]),  # pins the doc build's tools: still a manifest
        ("requirements/tests.in", ["dependencies"]),
        ("tests/requirements.txt", ["dependencies"]),  # installed in CI
        ("pdm.lock", ["dependencies"]),
        ("httpx/_auth.py", ["auth"]),
        ("src/poetry/utils/authenticator.py", ["auth"]),
        ("src/flask/sessions.py", ["auth"]),
        ("src/poetry/utils/password_manager.py", ["crypto"]),
        ("app/tokens.py", ["crypto"]),  # not in a parsing context: credentials
        ("api/TokenStore.java", ["crypto"]),
        ("itsdangerous/signer.py", ["crypto"]),
        ("tests/fixtures/server.key", ["crypto"]),  # key material counts anywhere
        ("tests/test_apps/.env", ["crypto"]),
        ("tests/.quorum.yml", ["bot_config"]),
    ],
)
def test_classify_more_sensitive(path: str, expected: list[str]) -> None:
    assert classify_path(path) == expected


def test_categories_are_the_documented_ones() -> None:
    assert CATEGORIES == (
        "bot_config", "ci", "codeowners", "dependencies", "infrastructure", "migrations", "auth", "crypto"
    )
    assert set(SENSITIVE_CATEGORIES) == set(CATEGORIES)


def test_glob_semantics() -> None:
    assert matches_glob(".github/workflows/x.yml", ".github/**")
    assert not matches_glob("sub/.github/workflows/x.yml", ".github/**")
    assert matches_glob("a/b/Dockerfile.dev", "Dockerfile*")
    assert matches_glob("x/k8s/y/z.yaml", "**/k8s/**")
    assert not matches_glob("x/k8sfoo/z.yaml", "**/k8s/**")
    assert matches_glob("src/auth/jwt.py", "**/auth")  # a matching directory covers what is below it
    assert matches_glob("./a.PY", "*.py")


def test_explain_names_the_rule() -> None:
    assert explain_path("src/user_login.py") == [SensitiveMatch("auth", "word 'login' in the file name")]
    assert explain_path("pkg/crypto/aes.go") == [SensitiveMatch("crypto", "word 'crypto' in a directory name")]
    assert explain_path(".github/CODEOWNERS") == [
        SensitiveMatch("ci", "glob .github/**"), SensitiveMatch("codeowners", "glob CODEOWNERS")
    ]


def test_categories_can_be_limited_but_bot_config_always_counts() -> None:
    assert classify_path(".github/CODEOWNERS", ["codeowners"]) == ["codeowners"]
    assert classify_path(".github/workflows/x.yml", []) == []
    assert classify_path(".quorum.yml", []) == ["bot_config"]
    with pytest.raises(ValueError, match="unknown sensitive categories: secrets"):
        classify_path("x.py", ["secrets"])


def test_default_policy_switches_every_category() -> None:
    """The default policy names every built-in category (and switches them all on)."""
    policy = Path(__file__).resolve().parents[2] / "rules" / "default_policy.yml"
    data = yaml.safe_load(policy.read_text(encoding="utf-8"))
    assert data["sensitive_paths"]["categories"] == dict.fromkeys(CATEGORIES, True)


def test_each_glob_set_rules_paths_out_with_one_alternation_and_names_the_first_glob() -> None:
    """The alternation of a category's globs matches exactly the paths one of its globs matches, so
    the first matching glob named is the same as trying every glob in turn."""
    from bot.core import sensitive  # noqa: PLC0415

    paths = [
        "pyproject.toml", "a/b/requirements-dev.txt", "requirements/base.in", ".github/workflows/ci.yml",
        "src/app/Dockerfile.prod", "deploy/k8s/app.yaml", "db/migrations/0001.sql", "docs/index.md",
        "pkg/auth/login.py", "x/.env.local", "conda-env.yml", "src/app/main.py", "ENVIRONMENT.YAML", "",
    ]
    sets = [*sensitive._COMPILED.values(), sensitive._KEY_MATERIAL, sensitive._ENVIRONMENT]
    assert all(s.any is not None for s in sets if s.compiled)
    named = 0
    for globs in sets:
        for path in paths:
            candidates = sensitive.path_and_parents(path)
            one_by_one = next((g for g, rx in globs.compiled if any(rx.match(c) for c in candidates)), None)
            assert globs.first(candidates) == one_by_one, (path, one_by_one)
            named += one_by_one is not None
    assert named >= 10


_MANIFESTS = (
    "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "go.mod", "go.sum",
    "Cargo.toml", "Cargo.lock", "pyproject.toml", "poetry.lock", "uv.lock", "requirements.txt", "Pipfile.lock",
    "Gemfile", "Gemfile.lock", "composer.json", "composer.lock", "pom.xml", "build.gradle", "build.gradle.kts",
    "gradle.lockfile", "build.xml", "mix.exs", "mix.lock", "pubspec.yaml", "pubspec.lock", "Chart.yaml",
    "Chart.lock", "helmfile.yaml", "flake.nix", "flake.lock", "main.tf", ".terraform.lock.hcl", "x.tofu",
    "WORKSPACE.bazel", "MODULE.bazel", "MODULE.bazel.lock", "x.bzl", ".bazelversion", "tasks/main.yml",
    "requirements.yml", "galaxy.yaml", ".tool-versions", "azure-pipelines.yml", "x-pipelines.yml", "batect.yml",
    "bitrise.yml", "buildkite.yaml", "Dockerfile", "docker-compose.yml", ".gitlab-ci.yml", "mise.toml",
    ".mise.local.toml", ".config/mise/conf.d/a.toml", ".rtx.toml", "deno.lock", "conan.lock", "devbox.lock",
    "jsonnetfile.lock.json", "packages.lock.json", "pdm.lock", "pixi.lock", ".prototools",
    "ProjectSettings/ProjectVersion.txt", "vendir.lock.yml", "project.yml", "setup.py", "setup.cfg",
    ".pre-commit-config.yaml", ".nvmrc", ".python-version", "renovate.json", "Makefile", "main.py", "README.md",
)
"""Manifest and lock-file names of Renovate's managers (and a few other files)."""


def test_renovate_rule_names_the_pattern_trying_every_pattern_would() -> None:
    """Skipping the patterns whose literal a path lacks names the same first pattern as trying
    them all, on manifest names at several depths and cases, and every file of this repository."""
    from bot.core import sensitive  # noqa: PLC0415

    def one_by_one(path: str) -> str | None:
        for manager, pat, rx in sensitive.renovate_patterns():
            if rx.search(path):
                return f"Renovate manager '{manager}' pattern {pat}"
        return None

    root = Path(__file__).resolve().parents[2]
    own = [p.relative_to(root).as_posix() for p in root.rglob("*")
           if p.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                      for part in p.relative_to(root).parts[:-1])]
    paths = [f"{prefix}{name}" for name in _MANIFESTS for prefix in ("", "a/", "Sub/dir/", ".x/")]
    paths += [p.upper() for p in paths] + ["Dir/Ｐoetry.lock", "ſetup.py", "x/Cargo.locK"] + own[:5000]
    named = 0
    for path in paths:
        expected = one_by_one(path)
        assert sensitive.renovate_rule(path) == expected, path
        named += expected is not None
    assert named >= 150


def test_the_shipped_renovate_table_is_generated_from_the_data_file() -> None:
    """Regenerating gives the shipped file byte for byte (``python -m bot.core.sensitive``), and the
    patterns used are the ones computed from the data file now."""
    from bot.core import _renovate_table, sensitive  # noqa: PLC0415
    from bot.core.packagedata import package_files  # noqa: PLC0415

    assert sensitive.generate() == Path(_renovate_table.__file__).read_text(encoding="utf-8"), (
        "regenerate: python -m bot.core.sensitive > bot/core/_renovate_table.py")
    data = package_files("rules").joinpath("dependency_manifests.json").read_bytes()
    assert sensitive._renovate_sources() == sensitive._renovate_rows(data) == _renovate_table.SOURCES
    assert len(_renovate_table.SOURCES) >= 150


def test_a_table_made_from_other_data_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another data file (another fingerprint), or no shipped table: the patterns are computed."""
    from bot.core import _renovate_table, sensitive  # noqa: PLC0415

    expected = sensitive._renovate_sources()
    monkeypatch.setattr(_renovate_table, "SOURCES", (("x", "**/x.lock", "^(?:.*/)?x\\.lock$", "x.lock"),))
    monkeypatch.setattr(_renovate_table, "FINGERPRINT", "0" * 64)
    assert sensitive._renovate_sources.__wrapped__() == expected
    monkeypatch.setattr(sensitive, "_renovate_table", None)  # not generated: no module
    assert sensitive._renovate_sources.__wrapped__() == expected
