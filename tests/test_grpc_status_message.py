"""grpc-message as the gRPC spec encodes it: only non-printable bytes and `%`."""

from __future__ import annotations

import types
from typing import Any

import pytest
from purerpc.grpclib.config import GRPCConfiguration
from purerpc.grpclib.connection import GRPCConnection
from purerpc.grpclib.status import Status, StatusCode

from coordinator.grpc import status_message

MESSAGE = "Invalid user signature: Required Signature from 0xab/cd is absent [\"0x1\"]"


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        (MESSAGE, MESSAGE),
        ("100% done", "100%25 done"),
        ("café\nnext\t", "caf%C3%A9%0Anext%09"),
        ("~ and space", "~ and space"),
    ],
)
def test_only_what_the_spec_encodes(text: str, encoded: str) -> None:
    assert status_message.encode(text) == encoded


def test_purerpc_writers_are_the_ones_patched() -> None:
    assert status_message.changed() == []


@pytest.mark.parametrize("end", ["end_response", "respond_status"])
def test_a_server_sends_the_message_readable(end: str) -> None:
    connection = GRPCConnection(GRPCConfiguration(client_side=False))
    sent: list[Any] = []
    connection.h2_connection = types.SimpleNamespace(
        send_headers=lambda stream_id, headers, end_stream: sent.append(headers)
    )
    getattr(connection, end)(1, Status(StatusCode.INVALID_ARGUMENT, MESSAGE + " 5%"))
    assert ("grpc-message", MESSAGE + " 5%25") in sent[0]
