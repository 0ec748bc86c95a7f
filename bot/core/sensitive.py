"""Sensitive paths: which changed files touch the bot's config, CI, CODEOWNERS, dependencies,
infrastructure, migrations, authentication or cryptography. Pure (strings in, strings out).

This module is the single source of truth for the built-in categories: the policy gate
``paths.sensitive`` (``bot.policy.predicates.paths``) and the safety agent both call
:func:`classify_path` / :func:`explain_path`; a policy can only switch built-in categories off
(``sensitive_paths.categories``) or add globs of its own (``sensitive_paths.extra``).

How a path is classified (matching ignores case: under-matching ``dockerfile`` vs ``Dockerfile``
would let a sensitive change through):

- ``bot_config``, ``ci``, ``codeowners``, ``dependencies``, ``infrastructure``, ``migrations``:
  the globs of :data:`SENSITIVE_CATEGORIES`. GitHub's community files under ``.github/`` (issue
  and pull-request templates, ``CONTRIBUTING``, ``SECURITY``, ``FUNDING.yml`` ...; see
  :data:`CI_EXEMPT`) are not CI: nothing runs them. Dependency manifests, infrastructure files
  and migrations inside test fixtures (:data:`FIXTURE_DIRS`, ``tests/data/``) are test data.
- ``auth`` and ``crypto`` *code*: the directory globs ``**/auth/**`` and ``**/security/**``,
  and words of directory names and file stems (:data:`AUTH_WORDS`, :data:`CRYPTO_WORDS`,
  :data:`CRYPTO_DIR_WORDS`). Names are split into words on separators and camelCase, so
  ``tokenize.py`` is not ``token`` and ``author.py`` is not ``auth``. Tests (:func:`is_test_path`)
  and documentation (:func:`bot.core.paths.is_doc_path`) are not auth or crypto code: ``tests/test_auth.py``,
  ``SECURITY.md`` and ``docs/advanced/ssl.md`` are not sensitive. ``token``/``tokens`` in a
  parsing context (a directory named like :data:`PARSER_DIR_WORDS`, e.g. ``pgen2/token.py``)
  name lexer tokens, not credentials.
- ``crypto`` *material*: key, keystore and environment files (:data:`KEY_MATERIAL_GLOBS`), at any
  depth, tests included.
- ``dependencies`` also covers every file name that a Renovate package manager reads (the
  patterns vendored in ``rules/dependency_manifests.json``, with the Renovate version recorded
  there; see :func:`renovate_rule`), outside tests and docs and unless another category's globs
  already name the file (a workflow stays ``ci``, a Dockerfile ``infrastructure``), plus conda and pixi environment files
  at any depth (:data:`ENVIRONMENT_GLOBS`): Renovate has no conda manager.

Glob syntax (gitignore-like, the one the policy uses too, see :func:`glob_to_regex`): a pattern
without ``/`` matches a file or directory *name* at any depth; a pattern with a leading or inner
``/`` is anchored at the repository root; ``**`` spans directories; ``*``, ``?``, ``[abc]``,
``[!abc]`` within one segment; a matching directory covers everything below it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from bot.core.packagedata import package_files
from bot.core.paths import is_doc_path
from bot.core.regex_literal import required_literal

try:  # imported with this module, so that a process that forks served reviews has it already
    from bot.core import _renovate_table
except ImportError:  # not generated yet: the patterns are computed (_renovate_sources)
    _renovate_table = None  # type: ignore[assignment]

# --- glob semantics (shared with bot.policy.globs) -----------------------------------------------


class GlobError(ValueError):
    """A pattern cannot be compiled (empty, or an unterminated ``[``)."""


def _segment_regex(seg: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            start = i + 1
            if seg[start : start + 1] == "!":
                start += 1
            if seg[start : start + 1] == "]":
                start += 1  # a ']' right after '[' or '[!' is a literal member of the set
            j = seg.find("]", start)
            if j < 0:
                raise GlobError(f"unterminated '[' in {seg!r}")
            body = seg[i + 1 : j]
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[{'^/' if negate else ''}{body}]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def glob_to_regex(pattern: str) -> str:
    """Translate one glob to an anchored regular expression (no flags) over POSIX paths.

    Raises :class:`GlobError` for an empty pattern or an unterminated ``[``. Directory coverage
    (a matching directory covers what is below it) is the caller's job: match the path and each
    of its parent directories (see :func:`path_and_parents`).
    """
    pat = pattern.strip().rstrip("/")
    anchored = "/" in pat  # a leading or middle slash anchors, a trailing one does not
    pat = pat.lstrip("/")
    if not pat:
        raise GlobError(f"empty glob {pattern!r}")
    parts: list[str] = []
    segments = pat.split("/")
    for idx, seg in enumerate(segments):
        last = idx == len(segments) - 1
        if seg == "**":
            # '**' as a whole segment: any number of directories (zero included).
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        parts.append(_segment_regex(seg) + ("" if last else "/"))
    body = "".join(parts)
    if not anchored:
        body = "(?:[^/]+/)*" + body
    return "^" + body + "$"


def compile_glob(pattern: str) -> re.Pattern[str]:
    """:func:`glob_to_regex` compiled case-insensitively. Raises :class:`GlobError`."""
    return re.compile(glob_to_regex(pattern), re.IGNORECASE)


def normalize_path(path: str) -> str:
    """A repository-relative POSIX path without leading ``/`` or ``./`` and without empty segments."""
    p = path.strip().strip("/")
    while p.startswith("./"):
        p = p[2:]
    return "/".join(s for s in p.split("/") if s)


def path_and_parents(path: str) -> list[str]:
    """``a/b/c.py`` -> ``["a/b/c.py", "a/b", "a"]`` (normalized; empty for an empty path)."""
    segs = normalize_path(path).split("/") if normalize_path(path) else []
    return ["/".join(segs[:i]) for i in range(len(segs), 0, -1)]


def matches_glob(path: str, glob: str) -> bool:
    """True when ``path`` or one of its parent directories matches ``glob`` (case-insensitive)."""
    rx = compile_glob(glob)
    return any(rx.match(c) for c in path_and_parents(path))


# --- categories -------------------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = (
    "bot_config", "ci", "codeowners", "dependencies", "infrastructure", "migrations", "auth", "crypto",
)
"""Built-in categories in report order. ``bot_config`` can never be switched off (DESIGN.md,
"Security invariants": PRs that touch the bot's config are never auto-approved)."""

ALWAYS_SENSITIVE: frozenset[str] = frozenset({"bot_config"})
"""Categories that every caller checks, whatever a policy says."""

SENSITIVE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "bot_config": (".quorum.yml", ".quorum.yaml"),
    "ci": (
        # They run with the repository's secrets, or in other people's pipelines (pre-commit
        # hooks and actions published from this repository).
        ".github/**", ".gitlab-ci.yml", ".gitlab/**", ".circleci/**", ".buildkite/**", ".travis.yml",
        "azure-pipelines*.yml", "bitbucket-pipelines.yml", "Jenkinsfile*", "appveyor.yml", ".appveyor.yml",
        ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "action.yml", "action.yaml",
        ".readthedocs.yml", ".readthedocs.yaml", "readthedocs.yml", "readthedocs.yaml",
    ),
    "codeowners": ("CODEOWNERS",),
    "dependencies": (
        "pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "requirements*.in",
        "**/requirements/*.txt", "**/requirements/*.in", "constraints*.txt", "Pipfile*", "poetry.lock",
        "uv.lock", "pdm.lock", "pylock*.toml", "environment.yml", "environment.yaml", "package.json",
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "pnpm-workspace.yaml",
        "bun.lock*", ".npmrc", ".yarnrc*", "go.mod", "go.sum", "go.work*", "Cargo.toml", "Cargo.lock",
        "Gemfile*", "*.gemspec", "pom.xml", "build.gradle*", "settings.gradle*", "gradle/wrapper/**",
        "composer.json", "composer.lock",
    ),
    "infrastructure": (
        "Dockerfile*", "*.dockerfile", ".dockerignore", "docker-compose*", "compose.yml", "compose.yaml",
        "*.tf", "*.tfvars", "**/k8s/**", "**/kubernetes/**", "**/helm/**", "**/charts/**", "Jenkinsfile*",
        ".gitlab-ci.yml", "Makefile", "GNUmakefile", "*.mk",
    ),
    "migrations": ("**/migrations/**", "**/alembic/**", "*.sql"),
    "auth": ("**/auth/**", "**/security/**"),
    "crypto": (),
}
"""Category -> globs. ``auth`` and ``crypto`` are further matched by words in path names (see
:data:`AUTH_WORDS`, :data:`CRYPTO_WORDS`) and ``crypto`` by :data:`KEY_MATERIAL_GLOBS`."""

ENVIRONMENT_GLOBS: tuple[str, ...] = (
    "environment*.yml", "environment*.yaml", "conda*.yml", "conda*.yaml", "*.conda-lock.yml",
    "conda-lock.yml", ".condarc", "**/recipe/meta.yaml", "**/recipe/recipe.yaml", "pixi.toml", "pixi.lock",
    "anaconda-project.yml", "mamba*.yml",
)
"""Conda (environment files, conda-lock, conda-forge recipes) and pixi files at any depth: category
``dependencies``. Renovate has no conda manager, so these are ours."""

RENOVATE_EXCLUDED_MANAGERS: frozenset[str] = frozenset({"html"})
"""Renovate managers whose patterns are not used: ``html`` matches every ``.html``/``.htm`` page
(it updates CDN links in them), which would hold back every change to a generated or hand-written
web page."""

KEY_MATERIAL_GLOBS: tuple[str, ...] = (
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", ".env", ".env.*",
)
"""Key, certificate, keystore and environment files: category ``crypto`` wherever they are."""

CI_EXEMPT: tuple[str, ...] = (
    ".github/ISSUE_TEMPLATE/**", ".github/DISCUSSION_TEMPLATE/**", ".github/PULL_REQUEST_TEMPLATE/**",
    ".github/ISSUE_TEMPLATE.*", ".github/PULL_REQUEST_TEMPLATE.*", ".github/CODE_OF_CONDUCT.*",
    ".github/CONTRIBUTING.*", ".github/SECURITY.*", ".github/SUPPORT.*", ".github/GOVERNANCE.*",
    ".github/FUNDING.yml",
)
"""GitHub community files under ``.github/``: templates and documents GitHub shows to people;
no workflow runs them, so they are not ``ci``. Matching is case-insensitive."""

FIXTURE_DIRS: frozenset[str] = frozenset({"fixtures", "__fixtures__", "testdata", "test_data", "__snapshots__"})
"""Directory names of test data: a manifest, Dockerfile or migration below one (or below
``tests/data/``) is a fixture of the test suite, not the repository's own."""

FIXTURE_EXEMPT_CATEGORIES: frozenset[str] = frozenset({"dependencies", "infrastructure", "migrations"})

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
    "passwords", "passwd", "token", "tokens", "hmac", "signing", "signer", "keystore", "kms",
    "vault", "pki", "cert", "certs", "certificate", "certificates",
})
"""Words of a file stem that put a path in category ``crypto``. ``signature`` is not one of them:
it names function signatures far more often than cryptographic ones (pydantic's
``_internal/_signature.py``)."""

CRYPTO_DIR_WORDS: frozenset[str] = frozenset({
    "crypto", "cryptography", "cipher", "ciphers", "tls", "ssl", "jwt", "pki", "certs", "certificates",
    "secrets", "kms", "vault", "keys",
})
"""Words of a directory name that put everything below it in category ``crypto`` (``tokens/`` is
left out: front-end design tokens)."""

TOKEN_WORDS: frozenset[str] = frozenset({"token", "tokens"})
PARSER_DIR_WORDS: frozenset[str] = frozenset({
    "lexer", "lexers", "lexing", "parser", "parsers", "parsing", "grammar", "grammars", "pgen", "pgen2",
    "tokenizer", "tokenizers", "syntax", "compiler",
})
"""Directory words under which ``token``/``tokens`` name lexer tokens (``blib2to3/pgen2/token.py``)."""

_TEST_RE = re.compile(
    r"(^|/)(tests?|testing|__tests__|spec|specs|testdata|test_data|fixtures|__fixtures__|__mocks__)/"
    r"|(^|/)test_[^/]*\.py$|_test\.(py|go)$|(^|/)conftest\.py$|\.(test|spec)\.[cm]?[jt]sx?$"
    r"|(^|/)src/test/",
    re.IGNORECASE,
)


def is_test_path(path: str) -> bool:
    """Tests and test data: ``tests/``, ``spec/``, ``fixtures/``, ``test_*.py``, ``*_test.go``,
    ``conftest.py``, ``*.spec.ts``, ``src/test/`` (Maven) ..."""
    return bool(_TEST_RE.search(normalize_path(path)))


def _is_fixture(p: str) -> bool:
    segs = [s.lower() for s in p.split("/")[:-1]]
    if any(s in FIXTURE_DIRS for s in segs):
        return True
    return any(a in ("test", "tests") and b == "data" for a, b in zip(segs, segs[1:], strict=False))


_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_words(name: str) -> set[str]:
    """Lower-case words of a name: split on ``_ - . space`` and camelCase (``OAuthClient`` ->
    ``{"o", "auth", "client", "oauthclient"}``: each separator-delimited part is kept whole too)."""
    out: set[str] = set()
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if not part:
            continue
        out.add(part.lower())
        out.update(w.lower() for w in _WORD_RE.findall(part))
    return out


class SensitiveMatch(NamedTuple):
    """Why a path is sensitive: its ``category`` and the ``rule`` that matched, e.g.
    ``"glob .github/**"`` or ``"word 'auth' in a directory name"``."""

    category: str
    rule: str


_ANY_DEPTH = "^(?:[^/]+/)*"


def _any_of(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that matches a string exactly when one of the glob ``patterns`` does
    (:func:`compile_glob`'s): their alternation, compiled ignoring case like each of them. None when
    there are none, or the alternation does not compile (then each pattern is tried alone)."""
    texts = [p.pattern for p in patterns]
    if not texts:
        return None
    # Globs at any depth share their head and tail (``^(?:[^/]+/)*...$``): written once, so that
    # the engine walks the directories once for all of them instead of once per glob.
    deep = [t[len(_ANY_DEPTH):-1] for t in texts if t.startswith(_ANY_DEPTH) and t.endswith("$")]
    rest = [t for t in texts if not (t.startswith(_ANY_DEPTH) and t.endswith("$"))]
    parts = [*(f"(?:{t})" for t in rest), *([f"{_ANY_DEPTH}(?:{'|'.join(deep)})$"] if deep else [])]
    try:
        return re.compile("|".join(parts), re.IGNORECASE)
    except re.error:  # pragma: no cover - the vendored patterns compile together (tested)
        return None


class _Globs:
    """Globs in order with their compiled patterns, and one alternation of them all that rules
    out in a single match the paths none of them names (most paths), before they are tried one by
    one to name the first that matches."""

    def __init__(self, globs: Iterable[str]) -> None:
        self.compiled = tuple((g, compile_glob(g)) for g in globs)
        self.any = _any_of(rx for _, rx in self.compiled)

    def first(self, candidates: list[str]) -> str | None:
        """The first glob (in order) that matches one of ``candidates``, else None."""
        if not self.compiled or (self.any is not None and not any(self.any.match(c) for c in candidates)):
            return None
        for glob, rx in self.compiled:
            if any(rx.match(c) for c in candidates):
                return glob
        return None


_COMPILED: dict[str, _Globs] = {cat: _Globs(globs) for cat, globs in SENSITIVE_CATEGORIES.items()}
_KEY_MATERIAL = _Globs(KEY_MATERIAL_GLOBS)
_ENVIRONMENT = _Globs(ENVIRONMENT_GLOBS)


def minimatch_to_regex(pattern: str) -> str:
    """A minimatch glob as Renovate writes them (``**/``, ``*``, ``?``, ``{a,b}``, ``{,.}``) as a
    Python regular expression over the whole path. Raises GlobError for an unbalanced brace."""
    out: list[str] = []
    i = 0
    depth = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "{":
            out.append("(?:")
            depth += 1
        elif c == "}" and depth:
            out.append(")")
            depth -= 1
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise GlobError(f"unbalanced brace in {pattern!r}")
    return "^" + "".join(out) + "$"


def _js_regex(pattern: str) -> str:
    """A JavaScript regex literal ``/.../`` as Python syntax (named groups ``(?<n>`` -> ``(?P<n>``)."""
    body = pattern[1 : pattern.rindex("/")]
    return re.sub(r"\(\?<(?![=!])", "(?P<", body)


def _renovate_fingerprint(data: bytes) -> str:
    """SHA-256 (hex) of the Renovate data file's bytes and :data:`RENOVATE_EXCLUDED_MANAGERS`."""
    digest = hashlib.sha256(repr(sorted(RENOVATE_EXCLUDED_MANAGERS)).encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


def _renovate_rows(data: bytes) -> tuple[tuple[str, str, str, str], ...]:
    """:func:`_renovate_sources` computed from the data file's bytes."""
    out = []
    for manager, patterns in json.loads(data.decode("utf-8"))["managers"].items():
        if manager in RENOVATE_EXCLUDED_MANAGERS:
            continue
        for pat in patterns:
            rx = _js_regex(pat) if pat.startswith("/") and pat.count("/") >= 2 else minimatch_to_regex(pat)
            out.append((manager, pat, rx, required_literal(rx)))
    return tuple(out)


@lru_cache(maxsize=1)
def _renovate_sources() -> tuple[tuple[str, str, str, str], ...]:
    """``(manager, pattern, Python regex, required literal)`` for every pattern of
    ``rules/dependency_manifests.json`` (see :func:`renovate_patterns`; the literal from
    :func:`required_literal`, '' when none). Read once (cached); a missing or unreadable data file
    raises. Taken from :mod:`bot.core._renovate_table` (generated by ``python -m
    bot.core.sensitive``) when it was made from the same data file: converting and scanning the
    ~170 patterns cost ~1.5 ms of CPU in nearly every review."""
    data = package_files("rules").joinpath("dependency_manifests.json").read_bytes()
    if _renovate_table is not None and _renovate_table.FINGERPRINT == _renovate_fingerprint(data):
        return _renovate_table.SOURCES
    return _renovate_rows(data)


def generate() -> str:
    """The source of ``bot/core/_renovate_table.py``: :func:`_renovate_sources` computed from the
    data file, with its fingerprint."""
    data = package_files("rules").joinpath("dependency_manifests.json").read_bytes()
    lines = [
        '"""Renovate\'s manager file patterns as Python regexes with their required literals (generated by',
        "``python -m bot.core.sensitive > bot/core/_renovate_table.py`` from ``rules/dependency_manifests.json``;",
        'do not edit). See :func:`bot.core.sensitive._renovate_sources`.',
        '"""',
        "",
        f"FINGERPRINT = {_renovate_fingerprint(data)!r}",
        "SOURCES = (",
    ]
    lines += [f"    {row!r}," for row in _renovate_rows(data)]
    lines.append(")")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def renovate_patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """``(manager, pattern, compiled)`` for every pattern of ``rules/dependency_manifests.json``
    (Renovate's ``managerFilePatterns`` and lock-file names), excluding
    :data:`RENOVATE_EXCLUDED_MANAGERS`; matched ignoring case. Read once (cached); a missing or
    unreadable data file raises (the package is broken, nothing should be approved)."""
    return tuple((manager, pat, _renovate_regex(rx)) for manager, pat, rx, _ in _renovate_sources())


@lru_cache(maxsize=None)
def _renovate_regex(rx: str) -> re.Pattern[str]:
    return re.compile(rx, re.IGNORECASE)


def _named_elsewhere(candidates: list[str]) -> bool:
    """True when our own globs of another glob category (CI, infrastructure, ...) name the path:
    then that category says what it is, and Renovate's patterns add nothing."""
    return any(_first_glob(candidates, _COMPILED[c]) for c in ("bot_config", "ci", "codeowners", "infrastructure", "migrations"))


def renovate_rule(path: str) -> str | None:
    """``"Renovate manager '<name>' pattern <pattern>"`` for the first vendored Renovate pattern
    that matches ``path`` (normalised, repository-relative), else None. Regex patterns are
    searched (``re.search``, as Renovate does), globs matched against the whole path."""
    low = path.lower() if path.isascii() else None
    for manager, pat, rx, literal in _renovate_sources():
        # The pattern cannot match a path without its required literal (:func:`required_literal`;
        # an ASCII path and literal compare ignoring case exactly as ``re.IGNORECASE`` does), so it
        # is compiled and searched only for paths that hold it.
        if low is not None and literal and literal not in low:
            continue
        if _renovate_regex(rx).search(path):
            return f"Renovate manager '{manager}' pattern {pat}"
    return None
_CI_EXEMPT = tuple(compile_glob(g) for g in CI_EXEMPT)


def _first_glob(candidates: list[str], globs: _Globs) -> str | None:
    return globs.first(candidates)


def _word_rule(segments: list[str]) -> tuple[str | None, str | None]:
    """``(auth rule, crypto rule)`` from the words of the directory names and the file stem."""
    last = segments[-1]
    stem = last if last.startswith(".") else posixpath.splitext(last)[0]
    stem_words = name_words(stem)
    dir_words: set[str] = set()
    for seg in segments[:-1]:
        dir_words |= name_words(seg)
    auth = None
    if hit := sorted(dir_words & AUTH_WORDS):
        auth = f"word '{hit[0]}' in a directory name"
    elif hit := sorted(stem_words & AUTH_WORDS):
        auth = f"word '{hit[0]}' in the file name"
    crypto_stem = stem_words & CRYPTO_WORDS
    if dir_words & PARSER_DIR_WORDS:
        crypto_stem -= TOKEN_WORDS
    crypto = None
    if hit := sorted(dir_words & CRYPTO_DIR_WORDS):
        crypto = f"word '{hit[0]}' in a directory name"
    elif hit := sorted(crypto_stem):
        crypto = f"word '{hit[0]}' in the file name"
    return auth, crypto


def explain_path(path: str, categories: Iterable[str] | None = None) -> list[SensitiveMatch]:
    """Why ``path`` (POSIX, repository-relative) is sensitive: one :class:`SensitiveMatch` per
    category, in :data:`CATEGORIES` order; empty when it is not.

    ``categories`` limits the check to those built-in categories (None: all of them); the
    :data:`ALWAYS_SENSITIVE` ones are always checked. Unknown names raise ``ValueError``.
    """
    wanted = set(CATEGORIES) if categories is None else set(categories)
    unknown = wanted - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown sensitive categories: {', '.join(sorted(unknown))} (valid: {', '.join(CATEGORIES)})")
    wanted |= ALWAYS_SENSITIVE
    p = normalize_path(path)
    if not p:
        return []
    candidates = path_and_parents(p)
    segments = p.split("/")
    fixture = _is_fixture(p)
    code_exempt = is_test_path(p) or is_doc_path(p)
    out: list[SensitiveMatch] = []
    word_auth, word_crypto = _word_rule(segments) if not code_exempt else (None, None)
    for cat in CATEGORIES:
        if cat not in wanted:
            continue
        rule: str | None = None
        if cat in ("auth", "crypto"):
            if not code_exempt and (glob := _first_glob(candidates, _COMPILED[cat])):
                rule = f"glob {glob}"
            elif cat == "auth" and word_auth:
                rule = word_auth
            elif cat == "crypto" and (glob := _first_glob(candidates, _KEY_MATERIAL)):
                rule = f"glob {glob}"
            elif cat == "crypto" and word_crypto:
                rule = word_crypto
        elif not (fixture and cat in FIXTURE_EXEMPT_CATEGORIES):
            glob = _first_glob(candidates, _COMPILED[cat])
            if glob and cat == "ci" and any(rx.match(p) for rx in _CI_EXEMPT):
                glob = None
            if glob:
                rule = f"glob {glob}"
            elif cat == "dependencies" and (glob := _first_glob(candidates, _ENVIRONMENT)):
                rule = f"glob {glob}"
            elif cat == "dependencies" and not code_exempt and not _named_elsewhere(candidates):
                rule = renovate_rule(p)
        if rule:
            out.append(SensitiveMatch(cat, rule))
    return out


def classify_path(path: str, categories: Iterable[str] | None = None) -> list[str]:
    """Sensitive categories of ``path`` (POSIX, repository-relative), in :data:`CATEGORIES`
    order; empty when the path is not sensitive. See :func:`explain_path` (same arguments).

    Examples: ``.github/workflows/ci.yml`` -> ``["ci"]``; ``src/oauth/client.py``,
    ``AuthService.java`` -> ``["auth"]``; ``lib/jwt_utils.py`` -> ``["crypto"]``;
    ``author.py``, ``tokenize.py``, ``tests/test_auth.py``, ``docs/security.md`` -> ``[]``.
    """
    return [m.category for m in explain_path(path, categories)]


__all__ = [
    "ALWAYS_SENSITIVE", "AUTH_WORDS", "CATEGORIES", "CI_EXEMPT", "CRYPTO_DIR_WORDS", "CRYPTO_WORDS",
    "ENVIRONMENT_GLOBS", "RENOVATE_EXCLUDED_MANAGERS", "minimatch_to_regex", "renovate_patterns", "renovate_rule",
    "FIXTURE_DIRS", "KEY_MATERIAL_GLOBS", "PARSER_DIR_WORDS", "SENSITIVE_CATEGORIES", "GlobError",
    "SensitiveMatch", "classify_path", "compile_glob", "explain_path", "glob_to_regex",
    "is_test_path", "matches_glob", "name_words", "normalize_path", "path_and_parents",
]


if __name__ == "__main__":
    print(generate(), end="")
