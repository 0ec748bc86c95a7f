"""Shared fakes and builders for tests and evals (one fake per interface). Not used at run time."""
