"""StateService: dynamic fields (ObjectTable entries), owned coins, balances."""

from __future__ import annotations

from coordinator._pb.sui.rpc.v2 import (
    state_service_grpc,
    state_service_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet import messages
from coordinator.simnet.coins import GAS_COIN_TYPE, SUI_COIN_TYPE, SUI_COIN_TYPE_LONG
from coordinator.simnet.services.common import (
    DYNAMIC_FIELD_MASK,
    OWNED_OBJECT_MASK,
    Servicer,
    canonical_type,
    invalid,
    masked,
    owner_address,
    page_of,
)


class StateService(Servicer, state_service_grpc.StateServiceServicer):
    async def ListDynamicFields(
        self, input_message: state_service_pb2.ListDynamicFieldsRequest
    ) -> state_service_pb2.ListDynamicFieldsResponse:
        mask = self.enter("ListDynamicFields", input_message, DYNAMIC_FIELD_MASK)
        request = input_message
        if not request.HasField("parent"):
            raise invalid("parent is required")
        try:
            parent = normalize_address(request.parent)
        except ValueError:
            raise invalid(f"parent {request.parent!r} is not an address") from None
        page, token = page_of(
            self.sim.objects.dynamic_fields(parent), lambda f: f.field_id,
            request.page_token, request.page_size,
        )  # fmt: skip
        return state_service_pb2.ListDynamicFieldsResponse(
            dynamic_fields=[
                masked(messages.dynamic_field(self.sim.objects, f), mask) for f in page
            ],
            next_page_token=token,
        )

    async def ListOwnedObjects(
        self, input_message: state_service_pb2.ListOwnedObjectsRequest
    ) -> state_service_pb2.ListOwnedObjectsResponse:
        """An address owns SUI coins here, nothing else."""
        mask = self.enter("ListOwnedObjects", input_message, OWNED_OBJECT_MASK)
        request = input_message
        owner = owner_address(request.owner)
        coins = self.sim.coins.owned_by(owner)
        if request.HasField("object_type"):
            try:
                wanted = canonical_type(request.object_type)
            except ValueError:
                raise invalid(f"object_type {request.object_type!r} is not a type") from None
            if wanted != canonical_type(GAS_COIN_TYPE):
                coins = []
        page, token = page_of(coins, lambda coin: coin.id, request.page_token, request.page_size)
        return state_service_pb2.ListOwnedObjectsResponse(
            objects=[masked(messages.gas_coin(coin), mask) for coin in page],
            next_page_token=token,
        )

    async def GetBalance(
        self, input_message: state_service_pb2.GetBalanceRequest
    ) -> state_service_pb2.GetBalanceResponse:
        self.sim.gate.enter("GetBalance")
        owner = owner_address(input_message.owner)
        if not input_message.coin_type:
            raise invalid("coin_type is required")
        try:
            sui = canonical_type(input_message.coin_type) == canonical_type(SUI_COIN_TYPE)
        except ValueError:
            raise invalid(f"coin_type {input_message.coin_type!r} is not a type") from None
        balance = self.sim.coins.balance(owner) if sui else 0
        return state_service_pb2.GetBalanceResponse(
            balance=_balance(input_message.coin_type, balance)
        )

    async def ListBalances(
        self, input_message: state_service_pb2.ListBalancesRequest
    ) -> state_service_pb2.ListBalancesResponse:
        """SUI is the only coin here: one entry, or none for an address without coins."""
        self.sim.gate.enter("ListBalances")
        owner = owner_address(input_message.owner)
        if input_message.page_token:
            raise invalid("page_token is not from this server")
        balance = self.sim.coins.balance(owner)
        return state_service_pb2.ListBalancesResponse(
            balances=[_balance(SUI_COIN_TYPE_LONG, balance)] if balance else []
        )


def _balance(coin_type: str, in_coins: int) -> state_service_pb2.Balance:
    """All of it in coin objects: the simulator keeps no address balances."""
    return state_service_pb2.Balance(
        coin_type=coin_type, balance=in_coins, coin_balance=in_coins, address_balance=0
    )
