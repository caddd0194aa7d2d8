"""The agents' secrets: a local store encrypted at rest with the operator's key
(`store`, `key`), read by the daemon (`reader`) for RetrieveSecret and the
containers' SECRET_* variables, managed with `python -m coordinator secrets`."""

from coordinator.agent_secrets.key import SecretsError, SecretsKey, find_key
from coordinator.agent_secrets.reader import AgentSecrets
from coordinator.agent_secrets.settings import SecretsSettings
from coordinator.agent_secrets.store import Scope, Secret, SecretsFile

__all__ = ["AgentSecrets", "Scope", "Secret", "SecretsError", "SecretsFile", "SecretsKey",
           "SecretsSettings", "find_key"]
