"""The GitHub App service: FastAPI webhook receiver, worker wiring, job handlers.

``build_runtime(settings)`` wires the parts; ``create_app(runtime)`` is the ASGI app
(``POST /webhook``, ``GET /healthz``). Imported only by ``quorum serve``, tests and benchmarks.
"""
