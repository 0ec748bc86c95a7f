"""Settings read ``QUORUM_*`` variables themselves (no pydantic-settings): names in any case,
JSON for dict and list fields, explicit values winning over the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings, settings_from_env


def test_environment_values_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUORUM_PORT", "9001")
    monkeypatch.setenv("quorum_model", "gpt-4o-mini")
    monkeypatch.setenv("QUORUM_LLM_AGENT_MODELS", '{"safety": "gpt-4o"}')
    monkeypatch.setenv("QUORUM_LLM_FALLBACK_MODELS", '["a", "b"]')
    monkeypatch.setenv("QUORUM_NOT_A_FIELD", "ignored")
    s = Settings()
    assert (s.port, s.model, s.llm_agent_models, s.llm_fallback_models) == (9001, "gpt-4o-mini", {"safety": "gpt-4o"}, ["a", "b"])
    assert Settings(port=7).port == 7


def test_bad_values_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="QUORUM_LLM_FALLBACK_MODELS is not valid JSON"):
        settings_from_env({"QUORUM_LLM_FALLBACK_MODELS": "a,b"}, Settings.model_fields)
    monkeypatch.setenv("QUORUM_LLM_AGENT_MODELS", '{"nobody": "x"}')
    with pytest.raises(ValidationError, match="unknown agent"):
        Settings()


@pytest.mark.parametrize("environ", [
    {},
    {"QUORUM_CACHE_DIR": "/tmp/c", "QUORUM_DATA_DIR": "rel/data"},
    {"quorum_database_url": "sqlite:////x.db", "Quorum_Model": "gpt-4o-mini", "QUORUM_PORT": "1"},
    {"QUORUM_DATABASE_URL": "", "QUORUM_MODEL": "", "QUORUM_DATA_DIR": ""},
])
def test_local_settings_equal_the_settings_fields(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    """``quorum review`` without a model reads LocalSettings: the same values as Settings for its fields."""
    import os

    from bot.localsettings import LocalSettings, local_settings

    for key in [k for k in os.environ if k.upper().startswith("QUORUM_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    full, local = Settings(), local_settings(os.environ)
    for name in LocalSettings.__dataclass_fields__:
        assert getattr(local, name) == getattr(full, name), name
    assert local.resolved_database_url() == full.resolved_database_url()
