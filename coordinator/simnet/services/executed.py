"""A transaction as every read of it shows it (GetTransaction, and a
checkpoint's transactions from GetCheckpoint and SubscribeCheckpoints): for a
signed transaction, what executing it answered (structured form, signatures,
effects, balance changes); for the simulator's own (faucet, scenario, admin,
upgrades), successful effects of their own: the objects they wrote among the
changed objects (an admin's pipeline call lists its AppInstance, as Sui does
for a `&mut` input). The read mask is applied after."""

from __future__ import annotations

from coordinator._pb.sui.rpc.v2 import checkpoint_pb2, effects_pb2, executed_transaction_pb2
from coordinator.simnet import messages
from coordinator.simnet.chain import CheckpointRecord, TxRecord, digest
from coordinator.simnet.effects import changed_object
from coordinator.simnet.engine import Engine


def executed_view(sim: Engine, tx: TxRecord) -> executed_transaction_pb2.ExecutedTransaction:
    message = messages.transaction(tx)
    executed = sim.executed.get(tx.digest)
    if executed is not None:
        message.transaction.CopyFrom(executed.transaction)
        message.effects.CopyFrom(executed.effects)
        message.signatures.extend(executed.signatures)
        message.balance_changes.extend(executed.balance_changes)
        return message
    effects = message.effects
    effects.status.success, effects.version = True, 2
    effects.epoch, effects.transaction_digest = sim.chain.epoch, tx.digest  # one epoch
    effects.digest = digest(b"effects", tx.digest)
    if tx.events:
        effects.events_digest = tx.events_digest
    effects.changed_objects.extend(_written(sim, tx))
    return message


def _written(sim: Engine, tx: TxRecord) -> list[effects_pb2.ChangedObject]:
    """The changed objects of a transaction the simulator landed itself. An
    object still at the version written has the digest GetObject gives it;
    one written again since, a stand-in of its own (its old state is not kept)."""
    version, objects = sim.writes.get(tx.digest, (0, ()))
    changes = []
    for obj, before in objects:
        if obj.object_version == version:
            output_digest = messages.move_object(sim.objects, obj).digest
        else:
            output_digest = digest(b"object", obj.id, version)
        changes.append(changed_object(obj.id, sim.objects.object_type(obj), before, version,
                                      output_digest, messages.shared_owner(obj)))
    return changes


def checkpoint_view(sim: Engine, record: CheckpointRecord) -> checkpoint_pb2.Checkpoint:
    message = messages.checkpoint(record)
    del message.transactions[:]
    message.transactions.extend(executed_view(sim, tx) for tx in record.transactions)
    return message
