"""Operators' observability: what the daemon's owners report, served at the top.

    collector    everything but the hook counters, read from the owners' status
                 objects at scrape time (`observed`: which owners)
    health       the liveness and readiness verdicts
    endpoint     /metrics, /healthz, /readyz over a tiny Trio HTTP server

It imports the owners it observes, so it sits with the wiring, above them. The
registry and the counters that need a hook where things happen are a leaf
anyone may import: `coordinator.instruments`.
"""
