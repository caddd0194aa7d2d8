"""MovePackageService: the hosted Silvana package, its types and functions
(`simnet.package`), each of its versions (`simnet.upgrades`); any other
package is NOT_FOUND, as an unpublished one is."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

import purerpc

from coordinator._pb.sui.rpc.v2 import (
    move_package_pb2,
    move_package_service_grpc,
    move_package_service_pb2,
)
from coordinator.events import normalize_address
from coordinator.simnet.package import package
from coordinator.simnet.services.common import Servicer, found, invalid
from coordinator.simnet.upgrades import PackageVersion


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)
_MemberRequest = (
    move_package_service_pb2.GetDatatypeRequest | move_package_service_pb2.GetFunctionRequest
)


def _by_name(items: Iterable[N], name: str, what: str) -> N:
    return found(next((item for item in items if item.name == name), None), f"{what}{name}")


def _datatypes(module: move_package_pb2.Module) -> Iterable[move_package_pb2.DatatypeDescriptor]:
    return module.datatypes


def _functions(module: move_package_pb2.Module) -> Iterable[move_package_pb2.FunctionDescriptor]:
    return module.functions


class MovePackageService(Servicer, move_package_service_grpc.MovePackageServiceServicer):
    def _version(self, package_id: str) -> PackageVersion:
        """The version `package_id` names; refused with a fullnode's words (an
        unknown package is NOT_FOUND without a message, as sui-rpc-api gives it)."""
        if not package_id:
            raise invalid("missing package_id")
        try:
            wanted = normalize_address(package_id)
        except ValueError as exc:
            raise invalid(f"invalid package_id: {exc}") from None
        version = self.sim.packages.version_of(wanted)
        if version is None:
            raise purerpc.NotFoundError("")
        return version

    def _package(self, package_id: str) -> move_package_pb2.Package:
        version = self._version(package_id)
        return package(self.sim.package_id, version.storage_id, version.version)

    def _module(self, package_id: str, name: str) -> move_package_pb2.Module:
        return _by_name(self._package(package_id).modules, name, "module ")

    async def GetPackage(
        self, input_message: move_package_service_pb2.GetPackageRequest
    ) -> move_package_service_pb2.GetPackageResponse:
        self.sim.gate.enter("GetPackage")
        return move_package_service_pb2.GetPackageResponse(
            package=self._package(input_message.package_id)
        )

    def _member(
        self, method: str, request: _MemberRequest, kind: str,
        members: Callable[[move_package_pb2.Module], Iterable[N]],
    ) -> N:  # fmt: skip
        """A module's datatype or function, named by package, module and name."""
        self.sim.gate.enter(method)
        module = self._module(request.package_id, request.module_name)
        return _by_name(members(module), request.name, f"{kind} {module.name}::")

    async def GetDatatype(
        self, input_message: move_package_service_pb2.GetDatatypeRequest
    ) -> move_package_service_pb2.GetDatatypeResponse:
        datatype = self._member("GetDatatype", input_message, "datatype", _datatypes)
        return move_package_service_pb2.GetDatatypeResponse(datatype=datatype)

    async def GetFunction(
        self, input_message: move_package_service_pb2.GetFunctionRequest
    ) -> move_package_service_pb2.GetFunctionResponse:
        function = self._member("GetFunction", input_message, "function", _functions)
        return move_package_service_pb2.GetFunctionResponse(function=function)

    async def ListPackageVersions(
        self, input_message: move_package_service_pb2.ListPackageVersionsRequest
    ) -> move_package_service_pb2.ListPackageVersionsResponse:
        """Every version, oldest first, asked by the id of any of them (the
        simulator's history is short: one page, whatever the page size)."""
        self.sim.gate.enter("ListPackageVersions")
        self._version(input_message.package_id)
        return move_package_service_pb2.ListPackageVersionsResponse(
            versions=[
                move_package_service_pb2.PackageVersion(
                    package_id=version.storage_id, version=version.version
                )
                for version in self.sim.packages.versions
            ]
        )
