"""What upstream's coordinator (SilvanaOne/silvana d1563ea, `crates/coordinator`)
reads that this one does not, and where its meaning went.

Operators switch with their upstream `coordinator.toml` and scripts in hand;
a key or command refused without a word of why would send them reading
source. So each name upstream knows maps to a hint: our key, or why it has no
meaning here. `coordinator.config` and `__main__` add it to their one-line
errors; docs/migrating-from-upstream.md is the same table for people.
"""

from __future__ import annotations

__all__ = ["UPSTREAM_COMMANDS", "UPSTREAM_ENV_IGNORED", "UPSTREAM_KEYS", "key_hint"]

_ONE_LAYER = "no meaning here: this coordinator serves one Sui coordination layer"

# Upstream's TOML keys (its `layer_config.rs`) -> a hint.
UPSTREAM_KEYS: dict[str, str] = {
    "coordinator": "upstream's [coordinator] table; its keys moved (see below)",
    "coordinator.enable_layers": _ONE_LAYER + " ([sui])",
    "coordinator.max_parallel_jobs": "here docker.max_concurrent",
    "coordinator.reconciliation_interval": "here reconcile.interval_secs",
    "coordinator.enable_metrics": 'here metrics.listen ("" turns the endpoint off)',
    "coordinator.metrics_interval": "no meaning here: Prometheus scrapes metrics.listen "
                                    "when it wants",
    "sui.layer_id": _ONE_LAYER,
    "sui.operation_mode": "no meaning here: chain operations are always batched "
                          "(settle.batch_max, settle.batch_ms)",
    "sui.multicall_interval_secs": "here settle.batch_ms (milliseconds)",
    "sui.multicall_max_operations": "here settle.batch_max",
    "sui.app_instance_filter": "here jobs.app_instance (or APP_INSTANCE_FILTER, --instance)",
    "private": _ONE_LAYER + " (private layers are not served)",
    "ethereum": _ONE_LAYER + " (Ethereum layers are not served)",
}

# Upstream's `silvana` commands other than `start` and `secrets`: clients of its
# RPC service, chain tools and templates, none of them a coordinator's. (Its
# `secrets store|retrieve` talk to its RPC service; ours, `python -m
# coordinator secrets`, manage the local store.)
UPSTREAM_COMMANDS = frozenset({
    "new", "instance", "object", "block", "proofs", "job", "jobs", "sequence",
    "transaction", "keypair", "balance", "split", "network", "config", "faucet",
    "avs", "registry", "log",
})

# Env names upstream's `silvana start` reads (its coordinator and the crates it
# links: monitoring, storage, sui) that this coordinator does not -> where
# their meaning went. Each one set is named once on stderr at start, so nobody
# believes it in force; a warning, not an error (an environment carries names
# for other programs). Upstream's `ENVIRONMENT` (a New Relic label) is too
# common a name to warn about.
_NO_OTEL = "metrics are Prometheus's, on metrics.listen (docs/metrics.md)"
_NO_FAUCET = ("the coordinator never asks a faucet; fund the key's "
              "address yourself")
UPSTREAM_ENV_IGNORED: dict[str, str] = {
    "ETHEREUM_ADDRESS": "no Ethereum layer is served",
    "ETHEREUM_PRIVATE_KEY": "no Ethereum layer is served",
    "PRIVATE_DATABASE_URL": "no private (database) layer is served",
    "PRIVATE_JWT_SECRET": "no private (database) layer is served",
    "SILVANA_AUD": "no private (database) layer is served",
    "RPC_ENDPOINT": "upstream's proof storage service; ours: the proof store is [proofs]",
    "PROOFS_CACHE_BUCKET": "upstream's S3 proof cache; ours: proofs.backend = \"s3\" and "
                           "proofs.s3.bucket",
    "WALRUS_PUBLISHER": "upstream's Walrus storage; ours: the proof store is [proofs]",
    "WALRUS_AGGREGATOR": "upstream's Walrus storage; ours: the proof store is [proofs]",
    "WALRUS_MAX_RETRIES": "upstream's Walrus storage; ours: the proof store is [proofs]",
    "RUST_LOG": "upstream's log filter; ours: LOG_LEVEL (log.level)",
    "LOG_DESTINATION": "upstream's log files; ours: logs go to stderr (log.format)",
    "LOG_DIR": "upstream's log files; ours: logs go to stderr (log.format)",
    "LOG_FILE_PREFIX": "upstream's log files; ours: logs go to stderr (log.format)",
    "OTEL_EXPORTER_OTLP_ENDPOINT": _NO_OTEL,
    "OTEL_EXPORTER_OTLP_HEADERS": _NO_OTEL,
    "OPENTELEMETRY_INGESTING_HOST": _NO_OTEL,
    "OPENTELEMETRY_SOURCE_ID": _NO_OTEL,
    "OPENTELEMETRY_SOURCE_TOKEN": _NO_OTEL,
    "JWT_HEALTH": "upstream's health reports; ours: /healthz and /readyz on metrics.listen",
    "SUI_FAUCET_DEVNET": _NO_FAUCET,
    "SUI_FAUCET_TESTNET": _NO_FAUCET,
    "SILVANA_FAUCET_ENDPOINT": _NO_FAUCET,
}


def key_hint(dotted: str) -> str | None:
    """The hint for an upstream key (`coordinator.max_parallel_jobs`, or a
    key inside upstream's `[[private]]`/`[[ethereum]]` tables), else None."""
    if dotted in UPSTREAM_KEYS:
        return UPSTREAM_KEYS[dotted]
    table = dotted.split(".", 1)[0]
    return UPSTREAM_KEYS.get(table) if table in ("private", "ethereum") else None
