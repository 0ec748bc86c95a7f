"""The rule registry: every rule id any agent can report, with its agent, severity, tags and docs.

One table maps every id to its rule, as in ruff. Sources, all packaged data read where
``importlib.resources`` finds them (:func:`bot.core.packagedata.package_files`; no environment, no network):

- ``rules/catalog/<language>/<ID>.yml``: the tree-sitter anti-pattern rules (agent
  ``anti_patterns``), loaded by :mod:`bot.core.catalog`;
- ``rules/registry/<agent>/<name>.yml``: the rules of the other agents, one file per rule, with a
  fixture ``<name>.fixture.yml`` beside it (see ``docs/rules.md``);
- ``rules/registry/llm.yml``: the LLM reasoner's ``<agent>/llm-<kind>`` family, expanded here.

Code may add rules (e.g. an external linter's, with an upstream docs URL) by building
``Registry([*default_registry().rules, RegisteredRule(...)])``; nothing is global or mutable.

Selectors (policies, gates): an exact id (``logic/removed-guard``), a prefix ending in ``/``
(``logic/``), an id-shaped prefix with a ``/`` (``safety/dangerous-call`` selects the rules below
it), or a tag (``tag:injection``). Case-insensitive; never a substring (``logic`` alone selects nothing). :meth:`Registry.check_selector` raises
:class:`UnknownRuleError` naming the nearest valid ids (:func:`difflib.get_close_matches`).

``python -m bot.core.registry --docs`` prints ``rules/RULES.md``.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.core import plaincheck, yamldata
from bot.core.catalog import RuleDocs, default_catalog, fixture_name
from bot.core.models import AGENT_NAMES, Severity
from bot.core.packagedata import package_files
from bot.core.yamldata import load_data_yaml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

TAGS: Mapping[str, str] = MappingProxyType({
    "secret": "a credential or private key in the change",
    "injection": "text aimed at an AI reviewer (prompt injection)",
    "hidden-text": "invisible or hidden characters and markup",
    "dangerous-call": "a call that runs code, a shell, or turns off a safety check",
    "shell": "runs a command through a shell",
    "eval": "evaluates dynamic code",
    "sql": "SQL built from strings",
    "deserialization": "deserializes objects from untrusted data",
    "tls": "turns TLS verification off",
    "xss": "renders raw HTML",
    "sensitive-path": "touches a path that needs a human (CI, auth, dependencies ...)",
    "file-mode": "symlinks, submodules, executable bits, binaries",
    "reach": "how far a change reaches through callers",
    "call-site": "a call site the change leaves inconsistent",
    "control-flow": "guards, conditions and boundaries",
    "error-handling": "how errors are raised, returned or swallowed",
    "return-value": "what a function returns",
    "constant": "a changed constant or default",
    "tests": "tests removed or missing for a change",
    "description": "the pull request's title and description",
    "scope": "what the change touches against what it claims",
    "style": "a code-style or hygiene issue",
    "debugging": "debugging code left in",
    "typing": "type-system escape hatches",
    "concurrency": "threads, async and locks",
    "resource": "files, connections and other resources",
    "llm": "reported by the optional LLM reasoner",
    "lint": "reported by an external linter",
})
"""Tag -> what it means. A rule's tags must come from here, so a typo fails the registry test."""

TAG_PREFIX = "tag:"

_ID_RE = re.compile(r"^(?:[a-z_]+(?:/[a-z0-9][a-z0-9-]*)+|Q(?:PY|JS|TS|GO|JV|RS|RB)\d{3}|[A-Z]+\d*[A-Z]*\d+)$")
_LANG_ANY = "*"


class UnknownRuleError(ValueError):
    """A rule id, prefix or tag that the registry does not know; the message names the nearest ones."""


@dataclass(frozen=True, kw_only=True)
class RegisteredRule:
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

    Checked when built, from Quorum's own data files: ValueError naming the field (TypeError for a
    missing or unknown key); ``severity`` may be given by name, ``tags`` and the other tuples as lists.
    """

    id: str
    name: str = ""
    agent: str
    severity: Severity
    tags: tuple[str, ...]
    languages: tuple[str, ...] = (_LANG_ANY,)
    summary: str
    docs: RuleDocs | None = None
    upstream_url: str | None = None
    fixture: str | None = None
    no_fixture: str | None = None
    same_cause: tuple[str, ...] = ()
    default_enabled: bool = True
    quiet: bool = False

    def __post_init__(self) -> None:
        if not _ID_RE.match(plaincheck.text("id", self.id)):
            raise ValueError(f"rule id {self.id!r} is not '<agent>/<kebab-name>[/<kebab-name>]' or a catalog id")
        plaincheck.text("name", self.name)
        if plaincheck.text("agent", self.agent) not in AGENT_NAMES:
            raise ValueError(f"unknown agent {self.agent!r} (valid: {', '.join(AGENT_NAMES)})")
        _set(self, "severity", plaincheck.choice("severity", self.severity, Severity))
        _set(self, "tags", plaincheck.texts("tags", self.tags, min_length=1))
        for tag in self.tags:
            if tag not in TAGS:
                near = difflib.get_close_matches(tag, list(TAGS), n=3)
                raise ValueError(f"unknown tag {tag!r}" + (f" (did you mean {', '.join(near)}?)" if near else ""))
        _set(self, "languages", plaincheck.texts("languages", self.languages))
        plaincheck.text("summary", self.summary, min_length=1)
        if self.docs is not None:
            _set(self, "docs", plaincheck.nested("docs", self.docs, RuleDocs))
        for name in ("upstream_url", "fixture", "no_fixture"):
            plaincheck.optional_text(name, getattr(self, name))
        _set(self, "same_cause", plaincheck.texts("same_cause", self.same_cause))
        plaincheck.flag("default_enabled", self.default_enabled)
        plaincheck.flag("quiet", self.quiet)
        if self.docs is None and self.upstream_url is None:
            raise ValueError(f"{self.id}: give docs (what/why/example/use_instead) or an upstream_url")
        if self.fixture is None and not self.no_fixture:
            raise ValueError(f"{self.id}: give a fixture, or no_fixture with the reason none can exist")

    def selected_by(self, selector: str) -> bool:
        """True when ``selector`` (id, ``prefix/``, bare prefix of ``prefix/...``, ``tag:x``) selects this rule."""
        return _selects(selector, self.id, self.tags)

    def model_copy(self, *, update: dict[str, object] | None = None) -> RegisteredRule:
        """A copy with the fields in ``update`` replaced (checked again)."""
        return replace(self, **(update or {}))  # type: ignore[arg-type]


def _set(obj: object, name: str, value: object) -> None:
    """Store a checked value on a frozen dataclass being built."""
    object.__setattr__(obj, name, value)


def _norm(rule_id: str) -> str:
    return rule_id.strip().casefold().replace("_", "-")


def _selects(selector: str, rule_id: str, tags: Iterable[str]) -> bool:
    s = selector.strip()
    if s.startswith(TAG_PREFIX):
        return s[len(TAG_PREFIX):] in tags
    sid, rid = _norm(s), _norm(rule_id)
    if sid.endswith("/"):
        return rid.startswith(sid)
    return rid == sid or ("/" in sid and rid.startswith(sid + "/"))


class Registry:
    """An immutable set of :class:`RegisteredRule`, indexed by id. Raises ``ValueError`` when an id repeats
    or a ``same_cause`` id is unknown."""

    def __init__(self, rules: Iterable[RegisteredRule], *, retired: Iterable[str] = ()) -> None:
        self.rules: tuple[RegisteredRule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        self.retired: frozenset[str] = frozenset(retired)
        self._by_id: dict[str, RegisteredRule] = {}
        for rule in self.rules:
            if rule.id in self._by_id:
                raise ValueError(f"duplicate rule id {rule.id}")
            if rule.id in self.retired:
                raise ValueError(f"rule id {rule.id} is retired and may not be reused")
            self._by_id[rule.id] = rule
        self._by_norm = {_norm(r.id): r for r in self.rules}
        for rule in self.rules:
            for other in rule.same_cause:
                if other not in self._by_id:
                    raise ValueError(f"{rule.id}: same_cause names unknown rule {other}")

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> RegisteredRule | None:
        """The rule with this id, or None."""
        return self._by_id.get(rule_id)

    def require(self, rule_id: str) -> RegisteredRule:
        """The rule with this id; raises :class:`UnknownRuleError` (naming the nearest ids) when unregistered."""
        rule = self._by_id.get(rule_id)
        if rule is None:
            raise UnknownRuleError(f"unregistered rule id {rule_id!r}{self._near(rule_id)}")
        return rule

    def tags(self) -> frozenset[str]:
        """Every tag some rule carries."""
        return frozenset(t for r in self.rules for t in r.tags)

    def with_tag(self, tag: str) -> tuple[RegisteredRule, ...]:
        """Rules carrying ``tag``."""
        return tuple(r for r in self.rules if tag in r.tags)

    def select(self, selector: str) -> tuple[RegisteredRule, ...]:
        """Rules that ``selector`` selects (see the module docstring); empty when none."""
        return tuple(r for r in self.rules if r.selected_by(selector))

    def tags_of(self, rule_id: str) -> tuple[str, ...]:
        """The tags of ``rule_id``, looked up leniently (case and ``_``/``-`` ignored); an id the
        registry does not know inherits the tags of its nearest registered parent
        (``safety/prompt-injection/x`` -> ``safety/prompt-injection``), else has none."""
        key = _norm(rule_id)
        while key:
            rule = self._by_norm.get(key)
            if rule is not None:
                return rule.tags
            key = key.rpartition("/")[0]
        return ()

    def selects(self, selector: str, rule_id: str) -> bool:
        """True when ``selector`` selects ``rule_id`` (tags through :meth:`tags_of`)."""
        return _selects(selector, rule_id, self.tags_of(rule_id))

    def check_selector(self, selector: str) -> str:
        """Return ``selector`` stripped when it selects at least one rule; raise :class:`UnknownRuleError`
        naming the nearest valid ids, prefixes or tags otherwise (``paths/wide-rech`` -> ``paths/wide-reach``)."""
        s = selector.strip()
        if s.startswith(TAG_PREFIX):
            tag = s[len(TAG_PREFIX):]
            if tag in TAGS:
                return s
            near = difflib.get_close_matches(tag, sorted(TAGS), n=3)
            hint = f"; did you mean {', '.join(TAG_PREFIX + t for t in near)}?" if near else ""
            raise UnknownRuleError(f"unknown rule tag {tag!r}{hint}")
        if self.select(s):
            return s
        raise UnknownRuleError(f"unknown rule id or prefix {s!r}{self._near(s)}")

    def _near(self, text: str) -> str:
        prefixes = {r.id.rsplit("/", 1)[0] + "/" for r in self.rules if "/" in r.id}
        candidates = [*self._by_id, *sorted(prefixes)]
        near = difflib.get_close_matches(text, candidates, n=3, cutoff=0.6)
        return f"; did you mean {', '.join(near)}?" if near else " (see rules/RULES.md for the valid ids)"

    def same_cause(self, a: str, b: str) -> bool:
        """True when rules ``a`` and ``b`` declare (either way) that they report the same cause."""
        ra, rb = self._by_id.get(a), self._by_id.get(b)
        return (ra is not None and b in ra.same_cause) or (rb is not None and a in rb.same_cause)


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------


POSTED_SEVERITIES = frozenset({Severity.minor, Severity.major, Severity.critical})
"""Severities a finding needs to be posted on the pull request (``info`` is summary-only)."""


def is_posted(rule_id: str, severity: Severity | str, registry: Registry) -> bool:
    """True when a finding of ``rule_id`` at ``severity`` is posted as a review comment or check-run
    annotation: severity ``minor`` or above, and its rule not ``quiet`` (measured precision under
    50%). Every finding still reaches the policy, the decision log and the check run's summary."""
    rule = registry.get(rule_id)
    return Severity(severity) in POSTED_SEVERITIES and not (rule is not None and rule.quiet)


def registry_root() -> Traversable:
    """The packaged registry directory (``rules/registry``)."""
    return package_files("rules") / "registry"


def _load_yaml(text: str, where: str) -> object:
    try:
        return load_data_yaml(text)  # the safe loader; cached by content while the CLI runs
    except yamldata.YAMLError as exc:
        raise ValueError(f"{where}: invalid YAML: {exc}") from exc


def load_rule_file(text: str, where: str) -> RegisteredRule:
    """Parse one ``rules/registry/<agent>/<name>.yml``; the file stem must be the id's last part and
    the directory the agent. Raises ``ValueError`` naming ``where``."""
    data = _load_yaml(text, where)
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a rule file must hold a mapping")
    directory, _, filename = where.rpartition("/")
    stem = filename.rsplit(".", 1)[0]
    data.setdefault("fixture", f"registry/{directory}/{stem}.fixture.yml")
    try:
        rule = RegisteredRule(**data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid rule: {exc}") from exc
    if not rule.id.endswith("/" + stem):
        raise ValueError(f"{where}: file name must be the last part of the id ({rule.id})")
    if directory.split("/", 1)[0] != rule.agent:
        raise ValueError(f"{where}: a rule of agent {rule.agent} must live in {rule.agent}/")
    return rule


def _llm_rules(text: str, where: str) -> list[RegisteredRule]:
    data = _load_yaml(text, where)
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), list):
        raise ValueError(f"{where}: expected a mapping with 'kinds' and 'agents'")
    out: list[RegisteredRule] = []
    for agent in data.get("agents") or AGENT_NAMES:
        for kind in data["kinds"]:
            try:
                out.append(RegisteredRule(
                    id=f"{agent}/llm-{kind['kind']}", name=f"llm-{kind['kind']}", agent=agent,
                    severity=Severity.minor, tags=("llm", *kind.get("tags", ())), summary=kind["summary"],
                    docs=RuleDocs(**kind["docs"]), no_fixture=data["no_fixture"],
                ))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{where}: invalid LLM kind {kind!r}: {exc}") from exc
    return out


LINT_PREFIX = "lint/"
"""Ids of external analyzers' rules: ``lint/<tool>/<code in lower case>`` (``lint/ruff/f821``)."""


def lint_rule_id(tool: str, code: str) -> str:
    """The registry id of ``tool``'s rule ``code``: ``lint_rule_id("ruff", "F821") == "lint/ruff/f821"``."""
    return f"{LINT_PREFIX}{tool}/{code.lower()}"


def _lint_rules(text: str, where: str) -> list[RegisteredRule]:
    """Expand ``rules/registry/lint.yml``: one rule per (tool, code); ``name`` keeps the tool's own
    code (``F821``, ``eslint/no-debugger``), which is what the tool is asked to run."""
    data = _load_yaml(text, where)
    if not isinstance(data, dict) or not isinstance(data.get("tools"), dict):
        raise ValueError(f"{where}: expected a mapping with 'agent', 'tools' and 'no_fixture'")
    out: list[RegisteredRule] = []
    for tool, spec in data["tools"].items():
        for item in spec.get("rules") or []:
            try:
                fixture = item.get("fixture")
                out.append(RegisteredRule(
                    id=lint_rule_id(tool, item["code"]), name=item["code"], agent=data["agent"],
                    severity=item["severity"], tags=tuple(item["tags"]), languages=tuple(spec["languages"]),
                    summary=item["summary"] + (f" Replaces {item['replaces']}." if item.get("replaces") else ""),
                    upstream_url=item["url"], fixture=fixture,
                    no_fixture=None if fixture else data["no_fixture"],
                    default_enabled=item.get("default_enabled", True),
                ))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{where}: invalid {tool} rule {item!r}: {exc}") from exc
    return out


_CATALOG_TAGS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "QPY005": ("debugging",), "QJS003": ("debugging",), "QGO003": ("debugging",), "QJS006": ("tests",), "QPY016": ("style",),
    "QPY002": ("error-handling",), "QGO001": ("error-handling",), "QGO005": ("error-handling",), "QGO002": ("error-handling",),
    "QPY017": ("dangerous-call", "shell"), "QJS005": ("dangerous-call", "xss"),
    "QPY010": ("concurrency",), "QGO004": ("resource",), "QGO006": ("concurrency",),
    "QPY009": ("resource",), "QPY014": ("resource",),
})


def _catalog_rules() -> list[RegisteredRule]:
    out = []
    for r in default_catalog().rules:
        out.append(RegisteredRule(
            id=r.id, name=r.name, agent="anti_patterns", severity=r.severity,
            tags=_CATALOG_TAGS.get(r.id, ("style",)), languages=r.all_languages,
            summary=r.message, docs=r.docs, fixture=f"catalog/{fixture_name(r)}", default_enabled=r.default_enabled,
            quiet=r.quiet,
        ))
    return out


def load_registry(root: Traversable | Path | None = None) -> Registry:
    """Load the catalog and every registry file under ``root`` (default: the packaged ``rules/registry``).

    Raises ``ValueError`` naming the file when an entry is malformed or an id repeats.
    """
    base = registry_root() if root is None else root
    rules = _catalog_rules()
    retired: list[str] = []
    quiet: frozenset[str] = frozenset()
    for agent_dir in sorted(base.iterdir(), key=lambda t: t.name):
        if agent_dir.name == "llm.yml":
            rules += _llm_rules(agent_dir.read_text(encoding="utf-8"), agent_dir.name)
        elif agent_dir.name == "lint.yml":
            rules += _lint_rules(agent_dir.read_text(encoding="utf-8"), agent_dir.name)
        elif agent_dir.name == QUIET_FILE:
            quiet = _quiet_ids(agent_dir.read_text(encoding="utf-8"), agent_dir.name)
        elif agent_dir.name == "retired.yml":
            data = _load_yaml(agent_dir.read_text(encoding="utf-8"), agent_dir.name)
            retired += list((data or {}).get("retired", {}))  # type: ignore[union-attr]
        elif agent_dir.is_dir() and not agent_dir.name.startswith((".", "_")):
            for item in sorted(agent_dir.iterdir(), key=lambda t: t.name):
                if item.name.endswith(".yml") and not item.name.endswith(".fixture.yml"):
                    rules.append(load_rule_file(item.read_text(encoding="utf-8"), f"{agent_dir.name}/{item.name}"))
    return Registry(_apply_quiet(rules, quiet), retired=retired)


QUIET_FILE = "quiet.yml"
"""The registry file listing the rules that are quiet by default (written by
``evals/findings/posting.py`` from the development labels: see :data:`SECURITY_TAGS`)."""

SECURITY_TAGS = frozenset({"secret", "injection", "hidden-text", "dangerous-call", "shell", "eval", "sql",
                           "deserialization", "tls", "xss", "sensitive-path"})
"""Tags of the security rules: posted whatever their measured precision (a missed credential or
injection costs more than a comment), so :data:`QUIET_FILE` may not list them."""


def is_security_rule(rule: RegisteredRule) -> bool:
    """True when ``rule`` carries one of :data:`SECURITY_TAGS` (it is never quiet by measurement)."""
    return bool(SECURITY_TAGS.intersection(rule.tags))


def _quiet_ids(text: str, where: str) -> frozenset[str]:
    data = _load_yaml(text, where)
    ids = (data or {}).get("quiet") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError(f"{where}: expected a mapping with 'quiet': a list of rule ids")
    return frozenset(ids)


def _apply_quiet(rules: list[RegisteredRule], quiet: frozenset[str]) -> list[RegisteredRule]:
    """``rules`` with ``quiet`` set for the ids of :data:`QUIET_FILE`. Raises ``ValueError`` for an
    unknown id or a security rule (those stay posted)."""
    by_id = {r.id: r for r in rules}
    unknown = sorted(quiet - by_id.keys())
    if unknown:
        raise ValueError(f"{QUIET_FILE}: unknown rule ids {unknown}")
    security = sorted(i for i in quiet if is_security_rule(by_id[i]))
    if security:
        raise ValueError(f"{QUIET_FILE}: security rules are always posted, cannot be quiet: {security}")
    return [_quieted(r) if r.id in quiet else r for r in rules]


def _quieted(rule: RegisteredRule) -> RegisteredRule:
    """A copy of the checked ``rule`` with ``quiet`` set (the one field changed is a boolean, so the
    copy is not checked again: 9 rules in 10 are quiet, and checking each twice cost ~2 ms a review)."""
    out = copy.copy(rule)
    _set(out, "quiet", True)
    return out


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The packaged registry, loaded once per process (it is immutable). Raises ``ValueError`` like
    :func:`load_registry`."""
    return load_registry()


# ------------------------------------------------------------------------------------------
# Docs
# ------------------------------------------------------------------------------------------


def render_docs(registry: Registry) -> str:
    """``rules/RULES.md``: an index of every rule, then one section per rule (its docs)."""
    lines = [
        "# Quorum rules",
        "",
        "Generated by `python -m bot.core.registry --docs > rules/RULES.md` from `rules/catalog/` and",
        "`rules/registry/`; do not edit by hand. How to add a rule: `docs/rules.md`.",
        "",
        f"{len(registry)} rules. Policies select them by id, by prefix (`logic/`) or by tag (`tag:secret`).",
        "",
        "| ID | Agent | Severity | Tags | Languages | Summary |",
        "|----|-------|----------|------|-----------|---------|",
    ]
    for r in registry.rules:
        summary = r.summary.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| [`{r.id}`](#{_anchor(r.id)}) | {r.agent} | {r.severity.value} | {', '.join(r.tags)} | "
                     f"{', '.join(r.languages)} | {summary} |")
    llm = [r for r in registry.rules if "llm" in r.tags]
    for r in registry.rules:
        if "llm" in r.tags:
            continue
        lines += ["", f"## {r.id}", "", f"{r.summary}", "",
                  f"Agent `{r.agent}` · default severity {r.severity.value} · tags {', '.join(r.tags)} · "
                  f"languages {', '.join(r.languages)}"
                  + (f" · same cause as {', '.join(r.same_cause)}" if r.same_cause else "")
                  + ("" if r.default_enabled else " · off by default")]
        if r.upstream_url:
            lines += ["", f"Upstream documentation: <{r.upstream_url}>"]
        if r.docs is not None:
            lines += ["", "### What it does", "", r.docs.what.strip(), "", "### Why it matters", "",
                      r.docs.why.strip(), "", "### Example", "", r.docs.example.strip(), "", "### Use instead", "",
                      r.docs.use_instead.strip()]
    if llm and llm[0].docs is not None:
        d = llm[0].docs
        lines += ["", "## LLM reasoner rules", "",
                  f"{len(llm)} ids of the form `<agent>/llm-<kind>`, one per agent and kind: "
                  + ", ".join(f"<a id=\"{_anchor(r.id)}\"></a>`{r.id}`" for r in llm) + ".", "",
                  "### What it does", "", d.what.strip(), "", "### Why it matters", "", d.why.strip(), "",
                  "### Example", "", d.example.strip(), "", "### Use instead", "", d.use_instead.strip()]
    return "\n".join(lines) + "\n"


def _anchor(rule_id: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", rule_id.lower()).replace(" ", "-")


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.core.registry --docs``: print ``rules/RULES.md``; without flags: validate."""
    parser = argparse.ArgumentParser(prog="python -m bot.core.registry", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", action="store_true", help="print rules/RULES.md to stdout")
    args = parser.parse_args(argv)
    try:
        registry = load_registry()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.docs:
        sys.stdout.write(render_docs(registry))
    else:
        print(f"{len(registry)} rules OK")
    return 0


if __name__ == "__main__":  # pragma: no cover - program entry
    raise SystemExit(main())
