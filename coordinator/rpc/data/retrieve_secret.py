"""RetrieveSecret: an agent reads a secret of its job from the local secrets
store (`coordinator.agent_secrets`), in place of upstream's call to the Silvana
RPC service.

Upstream's scoping (`crates/coordinator/src/grpc.rs` at d1563ea): a name
starting `sk_` is the (developer, agent)'s, any other the job's app
instance's, looked up exactly there (no wider scope). Its answers: OK with
success=false and a message for every refusal ("Job not found: ...", "Invalid
session ID", "Secret not found"), the value with "Secret retrieved
successfully". Stricter than upstream: the job must be running in the caller's
session (the one authorization path), not only be of the session's agent.

The value is in the answer and nowhere else: not logged (the log names the
secret and the job), not counted beyond the call itself, never in an error.
"""

from __future__ import annotations

import logging

import purerpc

from coordinator._pb.silvana.coordinator.v1 import coordinator_pb2 as pb
from coordinator.agent_secrets import AgentSecrets, Scope, SecretsError
from coordinator.agent_secrets.store import check_name
from coordinator.instruments import socket_call
from coordinator.rpc.calls import AgentCalls, Refused, answers_refusals

__all__ = ["NO_STORE", "RetrieveSecretCall"]

log = logging.getLogger("coordinator.rpc")

NO_STORE = ("Secrets store not available: this coordinator has no secrets key "
            "(see docs/secrets.md)")


class RetrieveSecretCall(AgentCalls):
    """RetrieveSecret, for the caller's running job."""

    secrets: AgentSecrets | None = None  # set by the wiring; None: no store

    @socket_call("RetrieveSecret")
    @answers_refusals(pb.RetrieveSecretResponse)
    async def RetrieveSecret(
        self, input_message: pb.RetrieveSecretRequest
    ) -> pb.RetrieveSecretResponse:
        named = self._job_request(input_message)
        try:
            name = check_name(input_message.name)
        except SecretsError as exc:
            raise purerpc.InvalidArgumentError(f"name: {exc}") from None

        async def call() -> pb.RetrieveSecretResponse:
            job = self._job_of(*named)
            if self.secrets is None or self.secrets.file is None:
                raise Refused(NO_STORE)
            secret = await self.secrets.retrieve(
                Scope.of_job(job.developer, job.agent, job.app, job.app_instance), name)
            if secret is None:
                log.info("RetrieveSecret %s for job %s: not found", name, job.ref)
                raise Refused("Secret not found")
            log.info("RetrieveSecret %s for job %s: given (%s)", name, job.ref,
                     secret.scope.describe())
            return pb.RetrieveSecretResponse(success=True, message="Secret retrieved successfully",
                                             secret_value=secret.value)

        return await self._limited(call)
