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
