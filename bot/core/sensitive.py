"""Sensitive paths: which changed files touch CI, the bot's config, dependencies, infrastructure,
migrations, authentication or cryptography. Pure (strings in, strings out).

The policy engine has its own, configurable list (``sensitive_paths`` in ``rules/default_policy.yml``,
matched by ``bot.policy.globs``); this module is the safety agent's fixed view and is kept
consistent with (a superset of) that default list. Matching ignores case: under-matching
(``dockerfile`` vs ``Dockerfile``) would let a sensitive change through.

Glob syntax (the gitignore subset used by the policy): a pattern without ``/`` matches a file or
directory *name* at any depth; a pattern with ``/`` is anchored at the repository root; ``**``
spans directories; a matching directory covers everything below it.
"""

from __future__ import annotations

import posixpath
import re

SENSITIVE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "ci": (
        ".github/**", ".gitlab-ci.yml", ".gitlab/**", ".circleci/**", ".buildkite/**", ".travis.yml",
        "azure-pipelines*.yml", "bitbucket-pipelines.yml", "Jenkinsfile*", ".pre-commit-config.yaml",
    ),
    "bot_config": (".quorum.yml", ".quorum.yaml"),
    "codeowners": ("CODEOWNERS",),
    "dependencies": (
        "pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "**/requirements/*.txt",
        "constraints*.txt", "Pipfile*", "poetry.lock", "uv.lock", "package.json", "package-lock.json",
        "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "pnpm-workspace.yaml", "bun.lock*", ".npmrc",
        ".yarnrc*", "go.mod", "go.sum", "go.work*", "Cargo.toml", "Cargo.lock", "Gemfile*", "*.gemspec",
        "pom.xml", "build.gradle*", "settings.gradle*", "gradle/wrapper/**", "composer.json", "composer.lock",
    ),
    "infrastructure": (
        "Dockerfile*", "*.dockerfile", ".dockerignore", "docker-compose*", "compose.yml", "compose.yaml",
        "*.tf", "*.tfvars", "**/k8s/**", "**/kubernetes/**", "**/helm/**", "**/charts/**", "Jenkinsfile*",
        ".gitlab-ci.yml", "Makefile", "GNUmakefile", "*.mk",
    ),
    "migrations": ("**/migrations/**", "**/alembic/**", "*.sql"),
    "auth": ("**/auth/**", "**/security/**"),
    "crypto": ("*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", ".env", ".env.*"),
}
"""Category -> globs. ``auth`` and ``crypto`` are further matched by words in path names (see
:data:`AUTH_WORDS` and :data:`CRYPTO_WORDS`)."""

AUTH_WORDS: frozenset[str] = frozenset({
    "auth", "authn", "authz", "authenticate", "authentication", "authenticator", "authorize",
    "authorization", "authorizer", "login", "logout", "signin", "signon", "sso", "saml", "oidc",
    "session", "sessions", "oauth", "oauth2", "permission", "permissions", "rbac", "acl", "acls",
    "security",
})
"""Words (of a directory name or a file stem) that put a path in category ``auth``."""

CRYPTO_WORDS: frozenset[str] = frozenset({
    "crypto", "cryptography", "crypt", "cipher", "ciphers", "encrypt", "encryption", "decrypt",
    "decryption", "tls", "ssl", "jwt", "jwks", "jws", "jwe", "secret", "secrets", "password",
    "passwords", "passwd", "token", "tokens", "hmac", "signing", "signature", "keystore", "kms",
    "vault", "pki", "cert", "certs", "certificate", "certificates",
})
"""Words of a file stem that put a path in category ``crypto``."""

CRYPTO_DIR_WORDS: frozenset[str] = frozenset({
    "crypto", "cryptography", "cipher", "ciphers", "tls", "ssl", "jwt", "pki", "certs", "certificates",
    "secrets", "kms", "vault", "keys",
})
"""Words of a directory name that put everything below it in category ``crypto`` (``tokens/`` is
left out: front-end design tokens)."""

_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _words(name: str) -> set[str]:
    """Lower-case words of a name: split on ``_ - . space`` and camelCase (``OAuthClient`` ->
    ``{"o", "auth", "client", "oauthclient"}``: each separator-delimited part is kept whole too)."""
    out: set[str] = set()
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if not part:
            continue
        out.add(part.lower())
        out.update(w.lower() for w in _WORD_RE.findall(part))
    return out


def _glob_regex(glob: str) -> re.Pattern[str]:
    """Compile a glob (see the module docstring) to a case-insensitive regex over a full path."""
    pat = glob.strip().lstrip("/").rstrip("/")
    anchored = "/" in pat
    parts: list[str] = []
    segments = pat.split("/")
    for idx, seg in enumerate(segments):
        last = idx == len(segments) - 1
        if seg == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        rx = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in seg)
        parts.append(rx + ("" if last else "/"))
    body = "".join(parts)
    if not anchored:
        body = "(?:[^/]+/)*" + body
    # A matching directory covers everything below it.
    return re.compile("^" + body + "(?:/.*)?$", re.IGNORECASE)


_COMPILED: dict[str, tuple[re.Pattern[str], ...]] = {
    cat: tuple(_glob_regex(g) for g in globs) for cat, globs in SENSITIVE_CATEGORIES.items()
}


def classify_path(path: str) -> list[str]:
    """Sensitive categories of ``path`` (POSIX, repository-relative), in the order of
    :data:`SENSITIVE_CATEGORIES`; empty when the path is not sensitive.

    ``auth``: a glob above, or a directory name / file stem containing a word of
    :data:`AUTH_WORDS` (``src/oauth/client.py``, ``user_login.ts``, ``AuthService.java``; not
    ``author.py``). ``crypto``: a glob above, a file stem containing a word of
    :data:`CRYPTO_WORDS` (``jwt_utils.py``, ``tls.go``, ``secrets.yaml``) or a directory name
    containing a word of :data:`CRYPTO_DIR_WORDS` (``pkg/crypto/aes.go``).
    """
    p = path.strip().lstrip("/")
    if p.startswith("./"):
        p = p[2:]
    if not p:
        return []
    cats = [cat for cat, rxs in _COMPILED.items() if any(rx.match(p) for rx in rxs)]
    segments = p.split("/")
    stem = posixpath.splitext(segments[-1])[0] if not segments[-1].startswith(".") else segments[-1]
    stem_words = _words(stem)
    dir_words: set[str] = set()
    for seg in segments[:-1]:
        dir_words |= _words(seg)
    if "auth" not in cats and (stem_words | dir_words) & AUTH_WORDS:
        cats.append("auth")
    if "crypto" not in cats and (stem_words & CRYPTO_WORDS or dir_words & CRYPTO_DIR_WORDS):
        cats.append("crypto")
    order = list(SENSITIVE_CATEGORIES)
    return sorted(set(cats), key=order.index)


def matches_glob(path: str, glob: str) -> bool:
    """True when ``path`` matches ``glob`` under this module's glob semantics (case-insensitive)."""
    return _glob_regex(glob).match(path.strip().lstrip("/")) is not None


__all__ = ["AUTH_WORDS", "CRYPTO_DIR_WORDS", "CRYPTO_WORDS", "SENSITIVE_CATEGORIES", "classify_path", "matches_glob"]
