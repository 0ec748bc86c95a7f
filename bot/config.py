"""Settings, built once by an entry point from the environment (``QUORUM_*``) and passed down.

Nothing else reads the environment. Fields for the GitHub App and the LLM layer live here too so
there is one place to look; each is documented with its variable name.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.models import AGENT_NAMES


def _data_dir() -> Path:
    return Path(platformdirs.user_data_dir("quorum"))


def _cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("quorum"))


class Settings(BaseSettings):
    """Quorum's configuration. Every field maps to ``QUORUM_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="QUORUM_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Decision log URL: sqlite:///PATH or postgresql+psycopg://... (QUORUM_DATABASE_URL)"
    )
    data_dir: Path = Field(default_factory=_data_dir, description="Where the default SQLite log lives")
    cache_dir: Path = Field(default_factory=_cache_dir, description="Code-index cache (by blob SHA)")

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
    bot_login: str | None = Field(default=None, description="The App's bot login, e.g. quorum[bot] (default: from GET /app)")
    workers: int = Field(default=4, description="Review worker threads for quorum serve (QUORUM_WORKERS)")
    github_write_interval_s: float = Field(default=1.0, description="Spacing of API writes per review (GitHub advises 1 s)")

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

    def resolved_database_url(self) -> str:
        """``database_url`` or the SQLite file ``<data_dir>/decisions.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'decisions.sqlite3'}"
