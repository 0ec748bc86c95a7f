"""Glob semantics used by sensitive_paths (gitignore-like, case-insensitive, parents match)."""

from __future__ import annotations

import pytest

from bot.policy.globs import GlobError, GlobSet, glob_to_regex

CASES = [
    # pattern, path, matches
    (".github/**", ".github/workflows/ci.yml", True),
    (".github/**", "docs/.github/x.yml", False),
    (".github/**", "github/workflows/ci.yml", False),
    ("CODEOWNERS", "CODEOWNERS", True),
    ("CODEOWNERS", ".github/CODEOWNERS", True),
    ("CODEOWNERS", "docs/CODEOWNERS.md", False),
    ("Dockerfile*", "services/api/Dockerfile.prod", True),
    ("Dockerfile*", "services/api/dockerfile", True),  # case-insensitive
    ("Makefile", "makefile", True),
    ("*.tf", "infra/main.tf", True),
    ("*.tf", "infra/main.tfx", False),
    ("requirements*.txt", "requirements-dev.txt", True),
    ("requirements*.txt", "sub/requirements.txt", True),
    ("**/migrations/**", "app/migrations/0001_init.py", True),
    ("**/migrations/**", "migrations/0001_init.py", True),
    ("**/migrations/**", "app/migration_notes.py", False),
    ("**/auth/**", "src/auth/jwt.py", True),
    ("**/*auth*.py", "src/oauth_client.py", True),
    ("**/*auth*.py", "src/oauth_client.js", False),
    ("**/*crypto*", "lib/cryptography_helpers/aes.py", True),  # directory name matches
    ("**/*token*", "src/tokens.py", True),
    ("*.sql", "db/schema.SQL", True),
    ("k8s/**", "k8s/deploy.yaml", True),
    ("k8s/**", "apps/k8s/deploy.yaml", False),  # anchored: has a slash
    ("/setup.py", "setup.py", True),
    ("/setup.py", "pkg/setup.py", False),
    ("docs/*.md", "docs/a.md", True),
    ("docs/*.md", "docs/sub/a.md", False),
    ("file?.txt", "file1.txt", True),
    ("file?.txt", "file12.txt", False),
    ("[ab]*.py", "a1.py", True),
    ("[!ab]*.py", "a1.py", False),
    ("[!ab]*.py", "c1.py", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("bin", "tools/bin/run", True),  # a matching directory covers what is below it
    ("*.py", "x/y.py/", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_glob_table(pattern: str, path: str, expected: bool) -> None:
    got = GlobSet([("cat", pattern)]).match(path)
    assert (got is not None) is expected
    if expected:
        assert got == ("cat", pattern)


def test_first_matching_entry_wins() -> None:
    globs = GlobSet([("ci", ".github/**"), ("codeowners", "CODEOWNERS")])
    assert globs.match(".github/CODEOWNERS") == ("ci", ".github/**")
    assert globs.match("CODEOWNERS") == ("codeowners", "CODEOWNERS")
    assert globs.match("src/app.py") is None


@pytest.mark.parametrize("bad", ["", "   ", "/", "[abc", "x/[!"])
def test_bad_globs_raise(bad: str) -> None:
    with pytest.raises(GlobError):
        glob_to_regex(bad)
