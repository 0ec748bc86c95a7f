"""The pydantic models that loaded the rule catalog and registry until they became dataclasses
(``bot/core/catalog.py`` and ``bot/core/registry.py`` at ``bb1845d``, verbatim but for the
``selected_by`` method): the reference the dataclasses' checks are held to
(``tests/rules/test_plain_rules.py``)."""

from __future__ import annotations

import difflib
import fnmatch
import posixpath
import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core import treesitter
from bot.core.catalog import (
    _KEBAB_RE,
    _MATCH_CAPTURE_RE,
    ID_RE,
    _has_top_level_predicate,
)
from bot.core.models import AGENT_NAMES, Severity
from bot.core.paths import is_test_path
from bot.core.registry import _ID_RE, _LANG_ANY, TAGS

# ruff: noqa: D101, D102, D105, ANN001


class RuleDocs(BaseModel):
    """The four documentation sections every rule carries (ruff's rule-page layout), Markdown.

    ``example`` holds a fenced code block; ``use_instead`` starts with one line of advice (used as
    the finding's suggestion, see :meth:`suggestion`) followed by a fenced code block.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    what: str = Field(min_length=1)
    why: str = Field(min_length=1)
    example: str = Field(min_length=1)
    use_instead: str = Field(min_length=1)

    @field_validator("what", "why", "example", "use_instead")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v

    @field_validator("use_instead")
    @classmethod
    def _advice_first(cls, v: str) -> str:
        if v.strip().startswith("```"):
            raise ValueError("must start with a line of advice before any code block")
        return v

    def suggestion(self) -> str:
        """The first line of ``use_instead``: a one-line fix advice."""
        return self.use_instead.strip().splitlines()[0].strip()


class Where(BaseModel):
    """Extra checks applied in Python after the query matched (use only when a query cannot say it).

    - ``inside``: some ancestor of ``@match`` within the same function has one of these node types.
    - ``not_inside``: no ancestor of ``@match`` within the same function has one of these types.
    - ``inside_async_function``: the nearest enclosing function is ``async``.
    - ``function_name_not_match``: regex; the nearest enclosing *named* function's name must not
      match it (``re.search``).
    - ``not_match``: capture name -> regex; the capture's text must not match (``re.search``).
    - ``file_not_match``: regex (multi-line mode); a file whose text matches is exempt from the rule.
    - ``go_discards_error``: the ``@match`` node is a Go assignment whose call's discarded last result
      is known to be an ``error``: the callee is declared in the same file with ``error`` as its last
      result, or (not declared there) its name is in :data:`GO_ERROR_LAST` (standard-library
      functions and methods that return an error last). Any other callee is not reported: without
      types, ``v, _ := cache.Get(k)`` may discard a bool.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # validated inside Rule

    inside: tuple[str, ...] = ()
    not_inside: tuple[str, ...] = ()
    inside_async_function: bool = False
    function_name_not_match: str | None = None
    not_match: dict[str, str] = Field(default_factory=dict)
    file_not_match: str | None = None
    go_discards_error: bool = False

    @field_validator("function_name_not_match", "file_not_match")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v

    @field_validator("not_match")
    @classmethod
    def _regexes(cls, v: dict[str, str]) -> dict[str, str]:
        for pattern in v.values():
            re.compile(pattern)
        return v


class Rule(BaseModel):
    """One catalog rule (one YAML file). See the module docstring for the layout.

    ``language`` (one) or ``languages`` (several) name tree-sitter grammars from
    :mod:`bot.core.languages`; a rule for ``typescript`` also applies to ``tsx``. ``query`` is a
    tree-sitter query whose ``@match`` capture marks the reported node. ``skip_tests`` exempts test
    files (:func:`is_test_path`); ``skip_paths`` are ``fnmatch`` globs on the repo-relative path. ``default_enabled: false``
    registers a rule that runs only when a policy enables it (measured precision under 50%).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    language: str | None = None
    languages: tuple[str, ...] = ()
    severity: Severity
    message: str = Field(min_length=1)
    query: str = Field(min_length=1)
    where: Where | None = None
    skip_tests: bool = False
    skip_paths: tuple[str, ...] = ()
    docs: RuleDocs
    default_enabled: bool = True
    quiet: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"id {v!r} is not of the form Q<PY|JS|TS|GO|JV|RS|RB><3 digits>")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _KEBAB_RE.match(v):
            raise ValueError(f"name {v!r} is not kebab-case")
        return v

    @field_validator("query")
    @classmethod
    def _query_text(cls, v: str) -> str:
        if not _MATCH_CAPTURE_RE.search(v):
            raise ValueError("query has no @match capture")
        if _has_top_level_predicate(v):
            raise ValueError(
                "a predicate outside a pattern group is ignored by tree-sitter; "
                'wrap it: ((node) @match (#eq? @match "x"))'
            )
        if "#not-any-of?" in v:
            raise ValueError(
                "#not-any-of? with several values is unreliable in py-tree-sitter 0.26 "
                "(it passes when any value differs); use #not-match? with an anchored regex"
            )
        return v

    @model_validator(mode="after")
    def _langs(self) -> Self:
        if (self.language is None) == (not self.languages):
            raise ValueError("give exactly one of 'language' or 'languages'")
        for lang in self.all_languages:
            if not treesitter.supported(lang):
                raise ValueError(f"unknown language {lang!r}; known: {', '.join(treesitter.LANGUAGES)}")
        return self

    @property
    def primary_language(self) -> str:
        """The directory the rule lives in: ``language``, else the first of ``languages``."""
        return self.language or self.languages[0]

    @property
    def all_languages(self) -> tuple[str, ...]:
        """Every grammar the rule runs on (``typescript`` implies ``tsx``), without duplicates."""
        langs = list(self.languages) if self.languages else [self.language or ""]
        if "typescript" in langs and "tsx" not in langs:
            langs.append("tsx")
        return tuple(dict.fromkeys(langs))

    def applies_to_path(self, path: str | None, *, is_test: bool | None = None) -> bool:
        """False when ``path`` is exempt: a test file with ``skip_tests`` (``is_test`` overrides
        :func:`is_test_path` when given), or a ``skip_paths`` glob match."""
        if self.skip_tests and (is_test if is_test is not None else path is not None and is_test_path(path)):
            return False
        if path is None:
            return True
        base = posixpath.basename(path)
        return not any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(base, g) for g in self.skip_paths)



class RegisteredRule(BaseModel):
    """One registry entry.

    - ``id``: stable, never reused (a retired id stays reserved in ``rules/registry/retired.yml``);
    - ``agent``: the sub-agent that reports it (one of ``AGENT_NAMES``);
    - ``severity``: the default severity (a check may raise or lower it for a given finding,
      the message then says why);
    - ``tags``: from :data:`TAGS`; gates select by them;
    - ``languages``: grammar names, or ``["*"]`` for any file;
    - ``docs``: What it does / Why it matters / Example / Use instead (:class:`RuleDocs`);
      ``upstream_url`` may stand in for ``docs`` for an external linter's rule;
    - ``fixture``: path of its fixture relative to the ``rules`` package; None only for rules no
      deterministic input can trigger (``llm``), with ``no_fixture`` saying why;
    - ``same_cause``: ids that report the same cause on the same line (one finding names both).
    - ``default_enabled``: False for a rule that runs only when a policy enables it.
    - ``quiet``: the rule runs and its findings count for the policy as before, but they are not
      posted as review comments or annotations (the check run's summary lists them). Set in a rule's
      file or listed in :data:`QUIET_FILE`, which ``evals/findings/posting.py`` writes: a rule is posted
      only when the development labels show >= 50% of >= 3 findings worth a comment, security rules
      always (:func:`is_posted`, :data:`SECURITY_TAGS`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    agent: str
    severity: Severity
    tags: tuple[str, ...] = Field(min_length=1)
    languages: tuple[str, ...] = (_LANG_ANY,)
    summary: str = Field(min_length=1)
    docs: RuleDocs | None = None
    upstream_url: str | None = None
    fixture: str | None = None
    no_fixture: str | None = None
    same_cause: tuple[str, ...] = ()
    default_enabled: bool = True
    quiet: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"rule id {v!r} is not '<agent>/<kebab-name>[/<kebab-name>]' or a catalog id")
        return v

    @field_validator("agent")
    @classmethod
    def _agent(cls, v: str) -> str:
        if v not in AGENT_NAMES:
            raise ValueError(f"unknown agent {v!r} (valid: {', '.join(AGENT_NAMES)})")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for tag in v:
            if tag not in TAGS:
                near = difflib.get_close_matches(tag, list(TAGS), n=3)
                raise ValueError(f"unknown tag {tag!r}" + (f" (did you mean {', '.join(near)}?)" if near else ""))
        return v

    @model_validator(mode="after")
    def _complete(self) -> RegisteredRule:
        if self.docs is None and self.upstream_url is None:
            raise ValueError(f"{self.id}: give docs (what/why/example/use_instead) or an upstream_url")
        if self.fixture is None and not self.no_fixture:
            raise ValueError(f"{self.id}: give a fixture, or no_fixture with the reason none can exist")
        return self
