"""GitHub Actions mode (``quorum action``): the event reduced to what to do (:mod:`.event`) and the
run against the repository with ``GITHUB_TOKEN`` (:mod:`.runner`)."""
