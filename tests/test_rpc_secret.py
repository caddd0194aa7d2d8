"""RetrieveSecret over the real TCP server, grpcio as the agent: upstream's
scoping (sk_ per developer and agent, other names exactly at the job's app
instance), upstream's answers (success=false with its messages), only for
the caller's running job, and the value in no log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import trio

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_secrets import AgentSecrets, Scope, SecretsFile, SecretsKey, SecretsSettings
from coordinator.config import RpcSettings
from coordinator.domain import AgentKey
from coordinator.jobs import JobBook
from coordinator.rpc import CoordinatorService, serve_tcp
from coordinator.store import Store
from tests.e2e_support import free_port
from tests.support import ADD_KEY, APP_INSTANCE, created

OTHER = AgentKey("OtherDev", "OtherAgent", "prove")
METHOD = "/silvana.coordinator.v1.CoordinatorService/RetrieveSecret"
VALUE = "the-instance-token-value"
WALLET = "suiprivkey1-the-agents-wallet"


@dataclass
class Rig:
    channel: grpc.Channel
    mine: str  # the session running job 1 (ADD_KEY, app "AddApp", APP_INSTANCE)
    theirs: str  # the session running job 2 (OTHER)
    file: SecretsFile

    async def retrieve(self, session: str, job: int, name: str) -> pb.RetrieveSecretResponse:
        call = self.channel.unary_unary(
            METHOD, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=pb.RetrieveSecretResponse.FromString)
        request = pb.RetrieveSecretRequest(session_id=session, job_id=f"{job}@{APP_INSTANCE}",
                                           name=name)
        answer: pb.RetrieveSecretResponse = await trio.to_thread.run_sync(
            lambda: call(request, timeout=30))
        return answer


async def serve_with(nursery: trio.Nursery, store: Store, secrets: AgentSecrets) -> Any:
    book = JobBook(store, max_attempts=3, lease_secs=60)
    book.on_chain_event(created(1, ADD_KEY))
    book.on_chain_event(created(2, OTHER))
    mine, theirs = book.open_session(ADD_KEY), book.open_session(OTHER)
    assert mine is not None and theirs is not None
    service = CoordinatorService(book)
    service.secrets = secrets
    port = await nursery.start(serve_tcp, RpcSettings(listen=f"127.0.0.1:{free_port()}"),
                               service)
    return grpc.insecure_channel(f"127.0.0.1:{port}"), mine[0].session_id, theirs[0].session_id


@pytest.fixture
async def rig(nursery: trio.Nursery, store: Store, tmp_path: Path) -> AsyncIterator[Rig]:
    key = SecretsKey.generate()
    file = SecretsFile(tmp_path / "secrets.enc", key)
    file.put(Scope(ADD_KEY.developer, ADD_KEY.agent, "AddApp", APP_INSTANCE), "token", VALUE)
    file.put(Scope(ADD_KEY.developer, ADD_KEY.agent), "sk_wallet", WALLET)
    file.put(Scope(ADD_KEY.developer, ADD_KEY.agent, "AddApp"), "app_wide", "app-level")
    file.put(Scope(OTHER.developer, OTHER.agent), "sk_wallet", "theirs")
    secrets = AgentSecrets.open(SecretsSettings(), tmp_path,
                                {"COORDINATOR_SECRETS_KEY": key.export()})
    channel, mine, theirs = await serve_with(nursery, store, secrets)
    yield Rig(channel, mine, theirs, file)
    channel.close()


async def test_upstreams_scopes_and_answers(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = await rig.retrieve(rig.mine, 1, "token")
    assert (token.success, token.message, token.secret_value) == (
        True, "Secret retrieved successfully", VALUE)
    wallet = await rig.retrieve(rig.mine, 1, "sk_wallet")
    assert wallet.success and wallet.secret_value == WALLET
    theirs = await rig.retrieve(rig.theirs, 2, "sk_wallet")
    assert theirs.success and theirs.secret_value == "theirs"

    # Exactly the job's scope: an app-wide secret is the containers' only.
    for name in ("app_wide", "missing"):
        answer = await rig.retrieve(rig.mine, 1, name)
        assert (answer.success, answer.message, answer.HasField("secret_value")) == (
            False, "Secret not found", False)

    # A set while serving is seen at the next call.
    rig.file.put(Scope(ADD_KEY.developer, ADD_KEY.agent, "AddApp", APP_INSTANCE), "token",
                 "rotated")
    rotated = await rig.retrieve(rig.mine, 1, "token")
    assert rotated.secret_value == "rotated"

    for secret in (VALUE, WALLET, "theirs", "rotated"):
        assert secret not in caplog.text
    assert "RetrieveSecret token for job" in caplog.text


async def test_only_for_the_callers_running_job(rig: Rig) -> None:
    # Another agent's job, named by my session: upstream's words, no value.
    other = await rig.retrieve(rig.mine, 2, "sk_wallet")
    assert not other.success and not other.HasField("secret_value")
    assert other.message.startswith("Job does not belong to requesting session")
    unknown = await rig.retrieve(rig.mine, 99, "token")
    assert not unknown.success and unknown.message.startswith("Job not found")
    no_session = await rig.retrieve("", 1, "token")
    assert not no_session.success and no_session.message.startswith("Invalid session ID")
    with pytest.raises(grpc.RpcError) as info:
        await rig.retrieve(rig.mine, 1, "bad-name")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "letters, digits or _" in (info.value.details() or "")


async def test_without_a_store_the_answer_says_so(nursery: trio.Nursery, store: Store,
                                                  tmp_path: Path) -> None:
    channel, mine, _ = await serve_with(nursery, store,
                                        AgentSecrets.open(SecretsSettings(), tmp_path, {}))
    rig = Rig(channel, mine, "", SecretsFile(tmp_path / "unused", SecretsKey.generate()))
    try:
        answer = await rig.retrieve(mine, 1, "token")
    finally:
        channel.close()
    assert not answer.success and answer.message.startswith("Secrets store not available")
