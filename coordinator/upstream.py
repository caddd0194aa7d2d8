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

# Upstream's `silvana` commands other than `start`: clients of its RPC service,
# chain tools and templates, none of them a coordinator's.
UPSTREAM_COMMANDS = frozenset({
    "new", "instance", "object", "block", "proofs", "job", "jobs", "sequence",
    "transaction", "keypair", "balance", "split", "network", "config", "faucet",
    "avs", "registry", "secrets", "log",
})

# Upstream coordinator's env names that mean nothing here (its `start` writes
# the Ethereum pair into `.env`; the others serve its private layer).
UPSTREAM_ENV_IGNORED = frozenset({"ETHEREUM_ADDRESS", "ETHEREUM_PRIVATE_KEY",
                                  "PRIVATE_DATABASE_URL", "PRIVATE_JWT_SECRET"})


def key_hint(dotted: str) -> str | None:
    """The hint for an upstream key (`coordinator.max_parallel_jobs`, or a
    key inside upstream's `[[private]]`/`[[ethereum]]` tables), else None."""
    if dotted in UPSTREAM_KEYS:
        return UPSTREAM_KEYS[dotted]
    table = dotted.split(".", 1)[0]
    return UPSTREAM_KEYS.get(table) if table in ("private", "ethereum") else None
