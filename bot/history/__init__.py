"""History facts of a pull request, read from the base commit's ancestry only (docs/risk-model.md).

- :mod:`bot.history.features`: feature definitions and the diff's own features (pure);
- :mod:`bot.history.gitlog`: ``LocalHistory``, git log/blame reads below a base SHA;
- :mod:`bot.history.cache`: the SQLite cache keyed by base SHA;
- :mod:`bot.history.facts`: ``compute_facts`` for one PR;
- :mod:`bot.history.fixes`: which commits are fixes (shared with the replay's SZZ labels).

Submodules are imported where used, so the pure ones stay light.
"""
