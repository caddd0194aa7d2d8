"""The registry of a network, from Silvana's config service, at start.

Agent methods (which Docker image runs a job) live in a registry object; with
none configured, a first start at the chain's tip learns only the methods added
from then on, and the jobs of every earlier one wait. No repository publishes
the testnet registry: upstream's coordinator asks Silvana's RPC service
(`GetConfig(chain)`, `https://rpc-devnet.silvana.dev` unless SILVANA_RPC_SERVER
says otherwise) at every start and takes SILVANA_REGISTRY from the answer. This
coordinator does the same, once, at start, and only to fill an empty
`sui.registry_id` (what the operator set always wins).

The answer comes from outside and is checked: a registry that is not an object
id, or one of another package than ours (its SILVANA_REGISTRY_PACKAGE), is not
used. A service that cannot be reached or refuses costs one warning line and
the daemon goes on without a registry, as upstream does.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import trio
from purerpc.grpclib.status import StatusCode
from purerpc.wrappers import send_single_message_client

from coordinator._pb.silvana.rpc.v1 import config_pb2 as pb
from coordinator.errors import describe
from coordinator.events.models import normalize_address
from coordinator.grpc import StreamChannel, dial_tcp, dial_unix
from coordinator.sui.caller import end_status
from coordinator.sui.endpoint import Endpoint, client_ssl_context
from coordinator.sui.settings import SuiSettings

__all__ = ["CONFIG_TIMEOUT_SECS", "ConfigServiceError", "ask_registry", "with_registry"]

log = logging.getLogger("coordinator.sui")

CONFIG_TIMEOUT_SECS = 10.0
SERVICE = "silvana.rpc.v1.SilvanaRpcService"
# Upstream's names in the answer.
REGISTRY = "SILVANA_REGISTRY"
REGISTRY_PACKAGE = "SILVANA_REGISTRY_PACKAGE"


class ConfigServiceError(Exception):
    """The service gave no usable registry; the message says why, in one line."""


async def _get_config(endpoint: Endpoint, chain: str) -> dict[str, str]:
    """GetConfig(chain) of the service at `endpoint`: its key-value settings."""
    if endpoint.scheme == "unix":
        stream = await dial_unix(endpoint.path)
    else:
        tls = client_ssl_context() if endpoint.scheme == "https" else None
        stream = await dial_tcp(endpoint.host, endpoint.port, tls)
    authority = "localhost" if endpoint.scheme == "unix" else f"{endpoint.host}:{endpoint.port}"
    async with StreamChannel(stream, endpoint.host or "localhost", endpoint.port) as channel:
        call = await channel.start_call(
            SERVICE, "GetConfig", pb.GetConfigRequest, pb.GetConfigResponse,
            scheme="https" if endpoint.scheme == "https" else "http", authority=authority,
            grpc_timeout=timedelta(seconds=CONFIG_TIMEOUT_SECS))
        try:
            await send_single_message_client(call, pb.GetConfigRequest(chain=chain))
            answer = await call.receive_message()
            if answer is not None:
                await call.receive_message()  # to the end, so the status is known
        finally:
            channel.abandon(call)
    status = end_status(call)
    if status is not None and status.status_code is not StatusCode.OK:
        raise ConfigServiceError(f"GetConfig failed: {status.status_code.name} "
                                 f"{status.status_message}".rstrip())
    if answer is None:
        raise ConfigServiceError("GetConfig gave no answer")
    if not answer.success:
        raise ConfigServiceError(f"GetConfig refused: {answer.message or 'no reason given'}")
    return dict(answer.config)


def _registry_of(config: dict[str, str], package_id: str) -> str:
    """The registry the answer names for `package_id`, checked."""
    registry = config.get(REGISTRY, "")
    if not registry:
        raise ConfigServiceError(f"the answer names no {REGISTRY}")
    try:
        registry = normalize_address(registry)
    except ValueError:
        raise ConfigServiceError(f"its {REGISTRY} {registry[:80]!r} is not an object id") from None
    if package := config.get(REGISTRY_PACKAGE, ""):
        try:
            same = normalize_address(package) == package_id
        except ValueError:
            same = False
        if not same:
            raise ConfigServiceError(
                f"its registry {registry} belongs to package {package[:80]}, not to "
                f"sui.package_id {package_id}")
    return registry


async def ask_registry(sui: SuiSettings) -> str:
    """The registry `sui.config_service` names for `sui.chain` and our package;
    `ConfigServiceError` (one line) when there is none to use."""
    endpoint = Endpoint.parse(sui.config_service)
    try:
        with trio.fail_after(CONFIG_TIMEOUT_SECS):
            config = await _get_config(endpoint, sui.chain)
    except trio.TooSlowError:
        raise ConfigServiceError(f"no answer within {CONFIG_TIMEOUT_SECS:g} s") from None
    except ConfigServiceError:
        raise
    except Exception as exc:  # whatever the transport raised: one line
        raise ConfigServiceError(f"cannot reach it: {describe(exc)}") from None
    return _registry_of(config, sui.package_id)


async def with_registry(sui: SuiSettings) -> SuiSettings:
    """`sui` with `registry_id` filled from the config service when it is empty
    and a service is configured; unchanged (and one warning) when the service
    has none to give."""
    if sui.registry_id is not None or not sui.config_service or sui.chain == "localnet":
        return sui
    try:
        registry = await ask_registry(sui)
    except ConfigServiceError as exc:
        log.warning("no registry from the config service %s (%s): %s; only agent methods "
                    "added from now on are known (set sui.registry_id or SILVANA_REGISTRY)",
                    sui.config_service, sui.chain, exc)
        return sui
    log.info("registry %s from the config service %s (%s)", registry, sui.config_service,
             sui.chain)
    return sui.model_copy(update={"registry_id": registry})
