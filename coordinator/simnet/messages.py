"""Simulator records -> sui.rpc.v2 messages (full; callers apply the read mask)."""

from __future__ import annotations

from google.protobuf import json_format, struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from coordinator._pb.sui.rpc.v2 import (
    bcs_pb2,
    checkpoint_pb2,
    event_pb2,
    executed_transaction_pb2,
    object_pb2,
    owner_pb2,
    query_options_pb2,
    state_service_pb2,
    transaction_pb2,
)
from coordinator.simnet.chain import (
    CheckpointRecord,
    EventRecord,
    Position,
    TxRecord,
    digest,
    encode_cursor,
)
from coordinator.simnet.coins import GAS_COIN_TYPE_LONG, GasCoin
from coordinator.simnet.move_object import MoveObject
from coordinator.simnet.objects import (
    ID_TYPE,
    AppInstance,
    DynamicFieldRecord,
    ObjectStore,
)


def timestamp(ms: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp


def event(record: EventRecord, tx: TxRecord, index: int, *, standalone: bool) -> event_pb2.Event:
    """An Event; `standalone` (ListEvents, SubscribeEvents) also sets its checkpoint.

    Inside a transaction `checkpoint` stays unset, as upstream documents: the
    enclosing ExecutedTransaction carries it.
    """
    message = event_pb2.Event(
        package_id=record.package_id,
        module=record.module,
        sender=record.sender,
        event_type=record.event_type,
        contents=bcs_pb2.Bcs(name=record.event_type, value=record.contents),
        transaction_digest=tx.digest,
        transaction_index=tx.index,
        event_index=index,
    )
    if standalone and tx.checkpoint is not None:
        message.checkpoint = tx.checkpoint
    return message


def transaction(tx: TxRecord) -> executed_transaction_pb2.ExecutedTransaction:
    message = executed_transaction_pb2.ExecutedTransaction(
        digest=tx.digest, transaction_index=tx.index,
        transaction=transaction_pb2.Transaction(digest=tx.digest, sender=tx.sender),
    )
    if tx.checkpoint is not None:
        message.checkpoint = tx.checkpoint
        message.timestamp.CopyFrom(timestamp(tx.timestamp_ms))
    if tx.events:
        message.events.digest = tx.events_digest
        message.events.events.extend(
            event(e, tx, index, standalone=False) for index, e in enumerate(tx.events)
        )
    return message


def checkpoint(record: CheckpointRecord) -> checkpoint_pb2.Checkpoint:
    return checkpoint_pb2.Checkpoint(
        sequence_number=record.sequence_number,
        digest=record.digest,
        summary=checkpoint_pb2.CheckpointSummary(
            epoch=record.epoch,
            sequence_number=record.sequence_number,
            timestamp=timestamp(record.timestamp_ms),
        ),
        transactions=[transaction(tx) for tx in record.transactions],
    )


def watermark(position: Position, covered: int | None) -> query_options_pb2.Watermark:
    message = query_options_pb2.Watermark(cursor=encode_cursor(position))
    if covered is not None:
        message.checkpoint = covered
    return message


def move_object(store: ObjectStore, obj: MoveObject) -> object_pb2.Object:
    rendered = obj.json()
    message = object_pb2.Object(
        object_id=obj.id,
        version=obj.object_version,
        digest=digest(b"object", obj.id, obj.object_version, repr(rendered)),
        object_type=store.object_type(obj),
        json=json_format.ParseDict(rendered, struct_pb2.Value()),
    )
    contents = obj.bcs()
    if contents is not None:  # the Move struct's BCS, as `Object.contents`
        message.contents.CopyFrom(bcs_pb2.Bcs(name=message.object_type, value=contents))
    previous = store.previous_transaction(obj)
    if previous is not None:
        message.previous_transaction = previous
    owner = shared_owner(obj)
    if owner is not None:
        message.owner.CopyFrom(owner)
    return message


def shared_owner(obj: MoveObject) -> owner_pb2.Owner | None:
    """An AppInstance is shared: transactions name it with this version."""
    if isinstance(obj, AppInstance):
        return owner_pb2.Owner(kind=owner_pb2.Owner.SHARED, version=obj.initial_shared_version)
    return None


def gas_coin(coin: GasCoin) -> object_pb2.Object:
    return object_pb2.Object(
        object_id=coin.id,
        version=coin.version,
        digest=coin.digest,
        object_type=GAS_COIN_TYPE_LONG,
        owner=owner_pb2.Owner(kind=owner_pb2.Owner.ADDRESS, address=coin.owner),
        balance=coin.balance,
    )


def dynamic_field(store: ObjectStore, record: DynamicFieldRecord) -> state_service_pb2.DynamicField:
    child = record.child
    return state_service_pb2.DynamicField(
        kind=state_service_pb2.DynamicField.OBJECT,
        parent=record.parent,
        field_id=record.field_id,
        name=bcs_pb2.Bcs(name=record.key_type, value=record.key_bcs),
        value=bcs_pb2.Bcs(name=ID_TYPE, value=bytes.fromhex(child.id.removeprefix("0x"))),
        value_type=store.object_type(child),
        child_id=child.id,
        child_object=move_object(store, child),
    )
