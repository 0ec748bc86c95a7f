"""Renderers: turn a ReviewResult into text, Markdown, JSON or SARIF. Pure."""
