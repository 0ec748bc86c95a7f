# Quorum GitHub App: `quorum serve` as a non-root user.
# Configure with QUORUM_GITHUB_APP_ID, QUORUM_GITHUB_PRIVATE_KEY (PEM text or a mounted file path),
# QUORUM_WEBHOOK_SECRET, QUORUM_DATABASE_URL (default: SQLite under /data), QUORUM_GITHUB_API_URL (GHES).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QUORUM_HOST=0.0.0.0 \
    QUORUM_PORT=8080 \
    QUORUM_DATA_DIR=/data \
    QUORUM_CACHE_DIR=/data/cache

# git: the App's repository mirrors (history for the risk gate, under /data/mirrors), `quorum review`
# and the evals.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY subagents ./subagents
COPY rules ./rules
# The eval suites ship inside the wheel (pyproject: tool.hatch.build.targets.wheel.force-include).
COPY evals ./evals
# The App image keeps the optional LLM layer and PostgreSQL support (extras; the base install is offline-only).
RUN pip install '.[llm,postgres]' \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin quorum \
    && mkdir -p /data \
    && chown quorum:quorum /data

USER quorum
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"QUORUM_PORT\", \"8080\")}/healthz', timeout=2)"]
CMD ["quorum", "serve"]
