"""Settings, built once by an entry point from the environment (``QUORUM_*``) and passed down.

Nothing else reads the environment. Fields for the GitHub App and the LLM layer live here too so
there is one place to look; each is documented with its variable name.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    def resolved_database_url(self) -> str:
        """``database_url`` or the SQLite file ``<data_dir>/decisions.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'decisions.sqlite3'}"
