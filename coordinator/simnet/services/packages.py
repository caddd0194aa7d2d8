"""MovePackageService: the hosted Silvana package, its types and functions
(`simnet.package`); any other package is NOT_FOUND, as an unpublished one is."""

from __future__ import annotations

import purerpc

from coordinator._pb.sui.rpc.v2 import (
    move_package_pb2,
    move_package_service_grpc,
    move_package_service_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet.package import package
from coordinator.simnet.services.common import Servicer, found, invalid


class MovePackageService(Servicer, move_package_service_grpc.MovePackageServiceServicer):
    def _package(self, package_id: str) -> move_package_pb2.Package:
        if not package_id:
            raise invalid("package_id is required")
        try:
            wanted = normalize_address(package_id)
        except ValueError:
            raise invalid(f"package_id {package_id!r} is not an address") from None
        if wanted != self.sim.package_id:
            raise purerpc.NotFoundError(f"package {wanted} not found")
        return package(wanted)

    def _module(self, package_id: str, name: str) -> move_package_pb2.Module:
        modules = self._package(package_id).modules
        return found(
            next((module for module in modules if module.name == name), None), f"module {name}"
        )

    async def GetPackage(
        self, input_message: move_package_service_pb2.GetPackageRequest
    ) -> move_package_service_pb2.GetPackageResponse:
        self.sim.gate.enter("GetPackage")
        return move_package_service_pb2.GetPackageResponse(
            package=self._package(input_message.package_id)
        )

    async def GetDatatype(
        self, input_message: move_package_service_pb2.GetDatatypeRequest
    ) -> move_package_service_pb2.GetDatatypeResponse:
        self.sim.gate.enter("GetDatatype")
        request = input_message
        module = self._module(request.package_id, request.module_name)
        datatype = next((d for d in module.datatypes if d.name == request.name), None)
        return move_package_service_pb2.GetDatatypeResponse(
            datatype=found(datatype, f"datatype {request.module_name}::{request.name}")
        )

    async def GetFunction(
        self, input_message: move_package_service_pb2.GetFunctionRequest
    ) -> move_package_service_pb2.GetFunctionResponse:
        self.sim.gate.enter("GetFunction")
        request = input_message
        module = self._module(request.package_id, request.module_name)
        function = next((f for f in module.functions if f.name == request.name), None)
        return move_package_service_pb2.GetFunctionResponse(
            function=found(function, f"function {request.module_name}::{request.name}")
        )
