"""Settings, built once by an entry point from the environment (``QUORUM_*``) and passed down.

Nothing else reads the environment. Fields for the GitHub App and the LLM layer live here too so
there is one place to look; each is documented with its variable name.

``Settings`` is a plain pydantic model that reads its own variables (``QUORUM_<FIELD>``, any
case; dict and list fields as JSON), as pydantic-settings' ``BaseSettings`` did, without its
import and class-building cost (about 50 ms plus 100 ms on the ``quorum review`` path). A review
without a model does not build it at all: it reads :class:`bot.localsettings.LocalSettings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.core.models import AGENT_NAMES
from bot.localsettings import (
    ENV_PREFIX,
    database_url_or_default,
    default_cache_dir,
    default_data_dir,
    settings_from_env,
)

__all__ = ["ENV_PREFIX", "Settings", "settings_from_env"]

class Settings(BaseModel):
    """Quorum's configuration. Every field maps to ``QUORUM_<FIELD>`` in the environment.

    ``Settings(**values)`` reads the environment; explicit ``values`` win over it (as with
    pydantic-settings). Raises pydantic ``ValidationError`` on bad values, ValueError on bad JSON.
    """

    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        values.pop("_env_file", None)  # pydantic-settings' keyword; there is no .env file
        super().__init__(**{**settings_from_env(os.environ, type(self).model_fields), **values})

    database_url: str | None = Field(
        default=None, description="Decision log URL: sqlite:///PATH or postgresql+psycopg://... (QUORUM_DATABASE_URL)"
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="Where the default SQLite log lives")
    cache_dir: Path = Field(default_factory=default_cache_dir, description="Code-index cache (by blob SHA)")

    # Decision-log anchoring (signed checkpoints kept outside the database)
    audit_signing_key: Path | None = Field(
        default=None, description="Ed25519 PEM key that signs checkpoints (QUORUM_AUDIT_SIGNING_KEY); default: "
        "<data_dir>/audit-signing-key.pem, generated with mode 0600 on first use. Never stored in the database",
    )
    audit_checkpoint_dir: Path | None = Field(
        default=None, description="Directory outside the database where quorum serve writes signed checkpoints "
        "(QUORUM_AUDIT_CHECKPOINT_DIR); unset: the App writes none",
    )
    audit_public_key: Path | None = Field(
        default=None, description="The operator's Ed25519 PEM public key that the auditor API and console check "
        "checkpoints against (QUORUM_AUDIT_PUBLIC_KEY); default: the public half of the signing key, when it exists",
    )
    audit_checkpoint_every: int = Field(
        default=100, ge=1, description="quorum serve writes a checkpoint after this many appended records, and on "
        "shutdown (QUORUM_AUDIT_CHECKPOINT_EVERY)",
    )

    # GitHub App (``quorum serve``)
    github_app_id: str | None = Field(default=None, description="GitHub App id (QUORUM_GITHUB_APP_ID)")
    github_private_key: str | None = Field(
        default=None, description="App private key: PEM text or a path to a PEM file (QUORUM_GITHUB_PRIVATE_KEY)"
    )
    webhook_secret: str | None = Field(default=None, description="Webhook secret; serve refuses to start without it")
    github_api_url: str = Field(default="https://api.github.com", description="REST API root; GHES: https://HOST/api/v3")
    host: str = Field(default="127.0.0.1", description="Address quorum serve listens on (QUORUM_HOST)")
    port: int = Field(default=8080, description="Port quorum serve listens on (QUORUM_PORT)")
    max_body_bytes: int = Field(default=25 * 1024 * 1024, description="Webhook body cap; GitHub caps payloads at 25 MB")
    webhook_read_timeout_s: float = Field(
        default=30.0, gt=0, description="Time limit for receiving one webhook body, seconds (QUORUM_WEBHOOK_READ_TIMEOUT_S)"
    )
    bot_login: str | None = Field(default=None, description="The App's bot login, e.g. quorum[bot] (default: from GET /app)")
    workers: int = Field(default=4, description="Review worker threads for quorum serve (QUORUM_WORKERS)")
    github_write_interval_s: float = Field(default=1.0, description="Spacing of API writes per review (GitHub advises 1 s)")
    github_writes_per_minute: int = Field(
        default=80, ge=1, description="Content-creating requests per minute per installation, shared by all workers "
        "(GitHub's secondary limit: 80) (QUORUM_GITHUB_WRITES_PER_MINUTE)")
    github_writes_per_hour: int = Field(
        default=500, ge=1, description="Content-creating requests per hour per installation (GitHub's secondary "
        "limit: 500) (QUORUM_GITHUB_WRITES_PER_HOUR)")
    mirror_dir: Path | None = Field(
        default=None, description="Where the App keeps a bare mirror of each reviewed repository, the source of "
        "its history facts (QUORUM_MIRROR_DIR); default: <data_dir>/mirrors")
    mirror_max_bytes: int = Field(
        default=20 * 1024**3, ge=0, description="Cap on the total size of the mirrors, bytes; least recently used "
        "repositories are evicted past it (QUORUM_MIRROR_MAX_BYTES)")
    mirror_timeout_s: float = Field(
        default=300.0, gt=0, description="Time limit of one review's mirror lock waits and fetch, seconds; past it "
        "the review has no history and the risk gate fails closed (QUORUM_MIRROR_TIMEOUT_S)")
    git_url: str | None = Field(
        default=None, description="Git host the mirrors fetch <git_url>/<owner>/<name>.git from (QUORUM_GIT_URL); "
        "default: from github_api_url (https://github.com; GHES: https://HOST)")
    worker_lease_s: float = Field(
        default=30.0, gt=0, description="PostgreSQL workers: heartbeat age after which a worker's running jobs are "
        "retried elsewhere (QUORUM_WORKER_LEASE_S)")

    # LLM reasoning layer (no model: offline review, litellm never imported)
    model: str | None = Field(
        default=None,
        description="litellm model id, e.g. gpt-4o-mini, anthropic/claude-3-5-haiku-latest, ollama/qwen2.5-coder "
        "(QUORUM_MODEL); unset: offline",
    )
    llm_api_base: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (QUORUM_LLM_API_BASE)"
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="Key for the model endpoint (QUORUM_LLM_API_KEY); unset: the provider's own variable"
    )
    llm_agent_models: dict[str, str] = Field(
        default_factory=dict, description='Per-agent models, JSON: {"safety": "gpt-4o"} (QUORUM_LLM_AGENT_MODELS)'
    )
    llm_fallback_models: list[str] = Field(
        default_factory=list, description="Models tried in order when one fails, JSON list (QUORUM_LLM_FALLBACK_MODELS)"
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Per model request, seconds (QUORUM_LLM_TIMEOUT_S)")
    llm_max_retries: int = Field(default=2, ge=0, le=6, description="Retries of timeouts, 429 and 5xx per model")
    llm_max_steps: int = Field(default=4, ge=0, le=20, description="Tool-call rounds per review unit")
    llm_max_input_tokens: int = Field(default=12_000, ge=1000, description="Size cap of one unit's prompt (tokens)")
    llm_max_output_tokens: int = Field(default=1_500, ge=200, description="Size cap of one answer (tokens)")
    llm_agent_token_budget: int = Field(default=100_000, ge=1000, description="Tokens one agent may spend per review")
    llm_agent_timeout_s: float = Field(
        default=300.0, gt=0, description="Per-agent wall budget with a model, seconds (a policy timeout_s wins)"
    )

    @field_validator("llm_agent_models")
    @classmethod
    def _known_agents(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(AGENT_NAMES))
        if unknown:
            raise ValueError(f"unknown agent(s) {', '.join(unknown)} (valid: {', '.join(AGENT_NAMES)})")
        return value

    def resolved_signing_key(self) -> Path:
        """``audit_signing_key`` or ``<data_dir>/audit-signing-key.pem``."""
        return self.audit_signing_key or self.data_dir / "audit-signing-key.pem"

    def resolved_mirror_dir(self) -> Path:
        """``mirror_dir`` or ``<data_dir>/mirrors``."""
        return self.mirror_dir or self.data_dir / "mirrors"

    def resolved_database_url(self) -> str:
        """``database_url`` or the SQLite file ``<data_dir>/decisions.sqlite3``."""
        return database_url_or_default(self.database_url, self.data_dir)
