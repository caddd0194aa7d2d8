"""What a fullnode checks of a signed transaction before running it.

`prepare` reads a transaction the way a fullnode does and refuses it with the
node's status and wording (sui-rpc-api's error mapping, sui-types' error
texts): undecodable BCS, a bad or missing signature, a signer that is not the
sender, gas coins that are unknown, not the sender's or not at their current
version, a gas price under the reference price, a budget the coins cannot
cover, a shared input that is not the AppInstance or Clock it claims to be.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from coordinator._pb.sui.rpc.v2 import (
    effects_pb2,
)
from coordinator.events.bcs import BcsError
from coordinator.simnet.coins import GasCoin
from coordinator.simnet.engine import Engine
from coordinator.simnet.gas import BASE_UNITS, MAX_GAS_BUDGET
from coordinator.simnet.objects import AppInstance
from coordinator.sui.calls import DecodedCall, decode_operation
from coordinator.sui.codec import CLOCK, ObjectRef, SharedObject, TransactionData
from coordinator.sui.signing import transaction_digest, verify_transaction_signature

ExecutionErrorKind = effects_pb2.ExecutionError.ExecutionErrorKind

# sui-rpc-api's wrapping of input errors (NonRecoverableTransactionError) and
# of signature errors (InvalidUserSignature); both answer INVALID_ARGUMENT.
_INPUT_ERRORS = (
    "Transaction execution failed due to issues with transaction inputs, "
    "please review the errors and try again: {}."
)
_SIGNATURE_ERROR = "Invalid user signature: {}"
BAD_SIGNATURE = (
    "Signature is not valid: Fail to verify user sig Invalid signature was given to the function"
)


class Refused(Exception):
    """A transaction the node refuses before running it: a gRPC status and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def input_error(text: str) -> Refused:
    return Refused("INVALID_ARGUMENT", _INPUT_ERRORS.format(text))


@dataclass
class Plan:
    """A checked transaction, ready to run."""

    tx: TransactionData
    tx_bytes: bytes
    digest: str
    coins: list[GasCoin]
    apps: dict[str, AppInstance]  # the shared AppInstance inputs by id
    calls: list[DecodedCall]
    # A command that is not a job operation of ours: it fails at execution.
    bad_command: tuple[int, ExecutionErrorKind, str] | None = None


def _hex(version: int) -> str:
    return f"{version:#x}"


def decode_signed(tx_bytes: bytes, signatures: Sequence[bytes] | None) -> TransactionData:
    """The TransactionData, its signatures checked unless None (a simulation
    needs none). Raises `Refused`."""
    try:
        tx = TransactionData.from_bytes(tx_bytes)
    except BcsError as exc:
        raise Refused("INVALID_ARGUMENT", f"invalid transaction: {exc}") from None
    if signatures is not None:
        _check_signatures(tx, tx_bytes, signatures)
    return tx


def prepare(sim: Engine, tx: TransactionData, tx_bytes: bytes) -> Plan:
    """Check a decoded transaction's inputs as a fullnode does before execution.
    Raises `Refused`."""
    if sim.layout != "2025-11":
        raise Refused(
            "FAILED_PRECONDITION",
            f"the simulator executes transactions on a 2025-11 chain only, not {sim.layout}",
        )
    if tx.expiration_epoch is not None and tx.expiration_epoch < sim.chain.epoch:
        raise input_error("Transaction Expired")
    coins = _check_gas(sim, tx)
    apps = _check_shared_inputs(sim, tx)
    calls: list[DecodedCall] = []
    bad: tuple[int, ExecutionErrorKind, str] | None = None
    for index, command in enumerate(tx.kind.commands):
        if sim.packages.version_of(command.package) is None:
            raise input_error(f"Dependent package not found on-chain: {command.package}")
        try:
            calls.append(decode_operation(tx, index))
        except BcsError as exc:
            unknown = "not an app_instance job operation" in str(exc)
            kind = (
                effects_pb2.ExecutionError.FUNCTION_NOT_FOUND
                if unknown
                else effects_pb2.ExecutionError.COMMAND_ARGUMENT_ERROR
            )
            bad = (index, kind, str(exc))
            break
        if command.type_arguments:  # none of the package's functions is generic
            kind = effects_pb2.ExecutionError.TYPE_ARITY_MISMATCH
            bad = (index, kind, f"TypeArityMismatch in command {index}")
            break
    return Plan(tx, tx_bytes, transaction_digest(tx_bytes), coins, apps, calls, bad)


def _check_signatures(tx: TransactionData, tx_bytes: bytes, signatures: Sequence[bytes]) -> None:
    required = [tx.sender] if tx.gas.owner == tx.sender else [tx.sender, tx.gas.owner]
    if len(signatures) != len(required):
        raise Refused(
            "INVALID_ARGUMENT",
            _SIGNATURE_ERROR.format(
                f"Expect {len(required)} signer signatures but got {len(signatures)}"
            ),
        )
    signers = [verify_transaction_signature(tx_bytes, signature) for signature in signatures]
    if any(signer is None for signer in signers):
        raise Refused("INVALID_ARGUMENT", _SIGNATURE_ERROR.format(BAD_SIGNATURE))
    for address in required:
        if address not in signers:
            shown = json.dumps(signers)
            raise Refused(
                "INVALID_ARGUMENT",
                _SIGNATURE_ERROR.format(f"Required Signature from {address} is absent {shown}"),
            )


def _check_gas(sim: Engine, tx: TransactionData) -> list[GasCoin]:
    gas = tx.gas
    if gas.price < sim.reference_gas_price:
        raise input_error(
            f"Gas price {gas.price} under reference gas price (RGP) {sim.reference_gas_price}"
        )
    if gas.budget > MAX_GAS_BUDGET:
        raise input_error(f"Gas budget: {gas.budget} is higher than max: {MAX_GAS_BUDGET}")
    least = BASE_UNITS * gas.price
    if gas.budget < least:
        raise input_error(f"Gas budget: {gas.budget} is lower than min: {least}")
    if not gas.payment:
        raise input_error("Gas payment should not be empty")
    coins: list[GasCoin] = []
    for ref in gas.payment:
        coin = _current_coin(sim, ref, gas.owner)
        if coin in coins:
            raise input_error(
                f"Mutable object {ref.object_id} cannot appear more than one in one transaction"
            )
        coins.append(coin)
    total = sum(coin.balance for coin in coins)
    if total < gas.budget:
        raise input_error(
            f"Balance of gas object {total} is lower than the needed amount: {gas.budget}"
        )
    return coins


def _current_coin(sim: Engine, ref: ObjectRef, owner: str) -> GasCoin:
    coin = sim.coins.get(ref.object_id)
    if coin is None:
        raise input_error(
            f"Could not find the referenced object {ref.object_id} at version "
            f"Some(SequenceNumber({ref.version}))"
        )
    if (coin.version, coin.digest) != (ref.version, ref.digest):
        raise input_error(
            f"Object ID {ref.object_id} Version {_hex(ref.version)} Digest {ref.digest} "
            f"is not available for consumption, current version: {_hex(coin.version)}"
        )
    if coin.owner != owner:
        raise input_error(
            f"Object {coin.id} is owned by account address {coin.owner}, "
            f"but given owner/signer address is {owner}"
        )
    return coin


def _check_shared_inputs(sim: Engine, tx: TransactionData) -> dict[str, AppInstance]:
    apps: dict[str, AppInstance] = {}
    for arg in tx.kind.inputs:
        if not isinstance(arg, SharedObject):
            continue
        if arg.object_id == CLOCK.object_id:
            expected = CLOCK.initial_shared_version
            if arg.mutable:
                raise input_error(f"Shared object {arg.object_id} can only be read (the Clock)")
        else:
            app = sim.app_by_id(arg.object_id)
            if app is None:
                raise input_error(
                    f"Could not find the referenced object {arg.object_id} at version None"
                )
            expected = app.initial_shared_version
            apps[app.id] = app
        if arg.initial_shared_version != expected:
            raise input_error(
                f"Shared object {arg.object_id} was given initial shared version "
                f"{arg.initial_shared_version}, but its initial shared version is {expected}"
            )
    return apps
