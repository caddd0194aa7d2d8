"""Reads of chain state: service info, checkpoints, transactions, objects,
dynamic fields, the gas price, owned objects, balances and a package's versions."""

from __future__ import annotations

from collections.abc import Sequence

from coordinator._pb.sui.rpc.v2 import (
    checkpoint_pb2,
    executed_transaction_pb2,
    object_pb2,
)
from coordinator._pb.sui.rpc.v2 import ledger_service_pb2 as _ledger
from coordinator._pb.sui.rpc.v2 import move_package_service_pb2 as _packages
from coordinator._pb.sui.rpc.v2 import state_service_pb2 as _state
from coordinator.sui.caller import Caller, field_of
from coordinator.sui.errors import SuiUnavailable
from coordinator.sui.filters import read_mask_of
from coordinator.sui.rpcs import (
    GET_BALANCE,
    GET_CHECKPOINT,
    GET_EPOCH,
    GET_OBJECT,
    GET_SERVICE_INFO,
    GET_TRANSACTION,
    LIST_DYNAMIC_FIELDS,
    LIST_OWNED_OBJECTS,
    LIST_PACKAGE_VERSIONS,
)

SUI_COIN_TYPE = "0x2::sui::SUI"
_GAS_COIN_TYPE = f"0x2::coin::Coin<{SUI_COIN_TYPE}>"


class Reads(Caller):
    """The unary reads of `SuiClient`."""

    async def service_info(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a deadline this call applies)
    ) -> _ledger.GetServiceInfoResponse:
        return await self._unary(GET_SERVICE_INFO, _ledger.GetServiceInfoRequest(), timeout)

    async def get_checkpoint(
        self,
        sequence_number: int,
        read_mask: Sequence[str] = (),
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> checkpoint_pb2.Checkpoint:
        request = _ledger.GetCheckpointRequest(
            sequence_number=sequence_number, read_mask=read_mask_of(read_mask)
        )
        response = await self._unary(GET_CHECKPOINT, request, timeout)
        return field_of(GET_CHECKPOINT, response, "checkpoint", response.checkpoint)

    async def get_transaction(
        self,
        digest: str,
        read_mask: Sequence[str] = (),
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> executed_transaction_pb2.ExecutedTransaction:
        """A transaction by digest (its effects and events: did a sent one land?)."""
        request = _ledger.GetTransactionRequest(digest=digest, read_mask=read_mask_of(read_mask))
        response = await self._unary(GET_TRANSACTION, request, timeout)
        return field_of(GET_TRANSACTION, response, "transaction", response.transaction)

    async def get_object(
        self,
        object_id: str,
        read_mask: Sequence[str] = (),
        *,
        version: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> object_pb2.Object:
        request = _ledger.GetObjectRequest(
            object_id=object_id, version=version, read_mask=read_mask_of(read_mask)
        )
        response = await self._unary(GET_OBJECT, request, timeout)
        return field_of(GET_OBJECT, response, "object", response.object)

    async def list_dynamic_fields(
        self,
        parent: str,
        *,
        page_size: int | None = None,
        page_token: bytes | None = None,
        read_mask: Sequence[str] = (),
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _state.ListDynamicFieldsResponse:
        request = _state.ListDynamicFieldsRequest(
            parent=parent,
            page_size=page_size,
            page_token=page_token,
            read_mask=read_mask_of(read_mask),
        )
        return await self._unary(LIST_DYNAMIC_FIELDS, request, timeout)

    async def reference_gas_price(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        """The current epoch's reference gas price (MIST per gas unit)."""
        request = _ledger.GetEpochRequest(read_mask=read_mask_of(["reference_gas_price"]))
        response = await self._unary(GET_EPOCH, request, timeout)
        epoch = field_of(GET_EPOCH, response, "epoch", response.epoch)
        if not epoch.HasField("reference_gas_price"):
            raise SuiUnavailable(
                GET_EPOCH.name, "transport", "the epoch has no reference_gas_price"
            )
        return epoch.reference_gas_price

    async def list_owned_objects(
        self,
        owner: str,
        *,
        object_type: str | None = None,
        page_size: int | None = None,
        page_token: bytes | None = None,
        read_mask: Sequence[str] = (),
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _state.ListOwnedObjectsResponse:
        request = _state.ListOwnedObjectsRequest(
            owner=owner,
            object_type=object_type,
            page_size=page_size,
            page_token=page_token,
            read_mask=read_mask_of(read_mask),
        )
        return await self._unary(LIST_OWNED_OBJECTS, request, timeout)

    async def gas_coins(
        self,
        owner: str,
        *,
        max_pages: int = 10,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[object_pb2.Object]:
        """The SUI coins `owner` holds (id, version, digest, balance), at most
        `max_pages` pages of 50: enough to pay gas, bounded however many it has."""
        coins: list[object_pb2.Object] = []
        token: bytes | None = None
        for _ in range(max_pages):
            page = await self.list_owned_objects(
                owner,
                object_type=_GAS_COIN_TYPE,
                page_size=50,
                page_token=token,
                read_mask=("object_id", "version", "digest", "balance"),
                timeout=timeout,
            )
            coins.extend(page.objects)
            if not page.HasField("next_page_token") or not page.next_page_token:
                break
            token = page.next_page_token
        return coins

    async def balance(
        self,
        owner: str,
        coin_type: str = SUI_COIN_TYPE,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        """What `owner` holds of `coin_type`, in its smallest unit (MIST for SUI)."""
        request = _state.GetBalanceRequest(owner=owner, coin_type=coin_type)
        response = await self._unary(GET_BALANCE, request, timeout)
        return field_of(GET_BALANCE, response, "balance", response.balance).balance

    async def package_versions(
        self,
        package_id: str,
        *,
        max_pages: int = 10,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[tuple[str, int]]:
        """Every version of the package `package_id` names (any of its ids), as
        (storage id, version), oldest first: the first is the original."""
        versions: list[tuple[str, int]] = []
        token: bytes | None = None
        for _ in range(max_pages):
            request = _packages.ListPackageVersionsRequest(
                package_id=package_id, page_token=token
            )
            page = await self._unary(LIST_PACKAGE_VERSIONS, request, timeout)
            versions.extend((v.package_id, v.version) for v in page.versions)
            if not page.next_page_token:
                break
            token = page.next_page_token
        return sorted(versions, key=lambda version: version[1])
