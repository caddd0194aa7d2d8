"""Operators' observability: Prometheus metrics, health endpoints.

    instruments  the registry and the few counters that need a hook where things happen
    collector    everything else, read from the daemon's status objects at scrape time
    health       the liveness and readiness verdicts
    endpoint     /metrics, /healthz, /readyz over a tiny Trio HTTP server

Kept import-light on purpose: `instruments` is imported by low layers
(supervisor, jobs, docker, rpc, ingest), so this package's `__init__` must not
pull in the status record and with it an import circle.
"""
