"""The environment every agent container gets: the one list of its names.

Upstream's coordinator (SilvanaOne/silvana, crates/coordinator/src/docker.rs)
sets SESSION_ID, SESSION_PRIVATE_KEY (the key whose Sui address is the session
id), DEVELOPER, AGENT, AGENT_METHOD, CHAIN, COORDINATOR_ID (its Sui address)
and the layer variables COORDINATION_LAYER_ID (its config's `sui.layer_id`:
`sui-devnet`, `sui-testnet`), COORDINATION_LAYER_TYPE (`sui`) and
OPERATION_MODE (`multicall` on Sui), and Silvana's SDKs read them; ours add
the job itself (JOB_ID, JOB_DATA, APP_INSTANCE) and where the socket is
(COORDINATOR_SOCKET). Upstream's SECRET_<NAME> variables come from the
secrets store (`coordinator.agent_secrets`, `ContainerSpec.secrets`): none
when there is no store. COORDINATOR_URL
is the name upstream's SDK reads the TCP service from (its default is
http://host.docker.internal:50051); it is set when `rpc.listen` is on. METHOD
is the seed's name for AGENT_METHOD, kept for agents written against it.

`AgentEnv`'s fields are the contract: the container supervisor builds the
environment from it, and the config refuses `docker.agent_env` names in
`CONTRACT_ENV`, so the two can never drift apart. Values may be secrets (the
session id and its key): never log them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["ALIASES", "CONTRACT_ENV", "AgentEnv", "layer_id"]

# Second names for a contract variable: alias -> the name it copies.
ALIASES = {"METHOD": "AGENT_METHOD"}


@dataclass(frozen=True)
class AgentEnv:
    """One container's contract values; each field is the variable of its name
    in capitals."""

    # Upstream's names.
    session_id: str
    session_private_key: str  # the session's Ed25519 key, suiprivkey1... (a secret)
    developer: str
    agent: str
    agent_method: str
    chain: str  # devnet, testnet, mainnet or localnet (`sui.chain`)
    coordinator_id: str  # the key's Sui address (keyless: the daemon's instance id)
    coordination_layer_id: str  # sui-<chain> (`layer_id`)
    # Ours.
    job_id: str
    job_data: str  # 0x + hex
    app_instance: str
    coordinator_socket: str
    coordinator_url: str | None = None  # None: no TCP service, the variable is unset
    # Upstream's values for a Sui layer: a Sui chain, operations batched into
    # multicall transactions (as `coordinator.settlement` sends them here).
    coordination_layer_type: str = "sui"
    operation_mode: str = "multicall"

    def as_env(self) -> dict[str, str]:
        env = {name.upper(): value for name, value in asdict(self).items()
               if value is not None}
        env.update({alias: env[name] for alias, name in ALIASES.items()})
        return env


def layer_id(chain: str) -> str:
    """Upstream's name of the Sui layer of `chain`: its shipped configs say
    `sui-devnet` and `sui-testnet`; mainnet and localnet follow that pattern."""
    return f"sui-{chain}"


CONTRACT_ENV = frozenset({field.name.upper() for field in fields(AgentEnv)} | ALIASES.keys())
