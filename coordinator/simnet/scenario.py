"""Scenario files: what a simulator starts with and what it does over time (TOML).

    [chain]                 # all optional
    package_id = "0x5117a7a"
    checkpoint_interval_secs = 1.0
    noise = true            # events of other packages/modules in the checkpoints
    event_module = "entry"  # Event.module: "entry" (the Move call's, as on Sui) or "type"
    retain_checkpoints = 1000
    layout = "2025-11"      # the package version imitated: "2025-11" or "2025-08"
    reference_gas_price = 1000  # MIST per gas unit

    [[fund]]                # SUI coins (gas) for addresses, from the start
    address = "0x1234..."
    amount = 10_000_000_000 # MIST (10 SUI)

    [faults]                # all optional; see coordinator.simnet.faults.Faults
    drop_stream_after_frames = 37
    old_node = false        # true: a fullnode without the 2026-07 APIs

    [[developers]]
    name = "AddExampleDev"
    [[developers.agents]]
    name = "AddAgent"
    [[developers.agents.methods]]
    name = "prove"
    docker_image = "silvana-demo/agent:latest"
    default = true

    [[app_instances]]
    name = "add-demo"
    settlement_chains = { "mina:devnet" = "B62q..." }  # chain -> settlement address
                                                      # ("" for none); optional
    [[app_instances.methods]]   # the app's methods (what an agent's CreateAppJob names)
    name = "prove"
    developer = "AddExampleDev"
    agent = "AddAgent"
    agent_method = "prove"

    [[jobs]]
    at_secs = 3             # or at_checkpoint = 12 (exactly one of them)
    developer = "AddExampleDev"
    agent = "AddAgent"
    method = "prove"
    app_instance = "add-demo"
    data = "0x0102"

Every key is checked; a mistake is one line naming the key
(`scenario demo.toml: jobs[1].data: ...`), raised as `ScenarioError`.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from coordinator.errors import SetupError
from coordinator.events import normalize_address
from coordinator.events.layouts import DEFAULT_LAYOUT, Layout
from coordinator.simnet.engine import EventModule
from coordinator.simnet.faults import SUI_METHODS, Faults
from coordinator.simnet.objects import AppMethod
from coordinator.simnet.sim import Simnet


class ScenarioError(SetupError):
    """A scenario file that cannot be used, phrased as one line."""


def _hex(value: str) -> bytes:
    if not value.startswith("0x"):
        raise ValueError("must be 0x-prefixed hex, e.g. 0x0102")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ValueError("must be 0x-prefixed hex with an even number of digits") from None


Address = Annotated[str, AfterValidator(normalize_address)]
Name = Annotated[str, Field(min_length=1, max_length=256)]
U16 = Annotated[int, Field(ge=0, le=0xFFFF)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(items: list[Any], what: str) -> None:
    counts = Counter(item.name for item in items)
    twice = sorted(name for name, count in counts.items() if count > 1)
    if twice:
        raise ValueError(f"{what} names must be unique; repeated: {twice}")


class MethodSpec(_Strict):
    name: Name
    docker_image: Name
    docker_sha256: str | None = None
    min_memory_gb: U16 = 1
    min_cpu_cores: U16 = 1
    requires_tee: bool = False
    default: bool = False


class AgentSpec(_Strict):
    name: Name
    image: str | None = None
    description: str | None = None
    site: str | None = None
    chains: list[str] = Field(default_factory=list)
    methods: list[MethodSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_methods(self) -> Self:
        _unique(self.methods, "method")
        if sum(method.default for method in self.methods) > 1:
            raise ValueError("at most one method can be the default")
        return self


class DeveloperSpec(_Strict):
    name: Name
    github: str = ""
    image: str | None = None
    description: str | None = None
    site: str | None = None
    agents: list[AgentSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_agents(self) -> Self:
        _unique(self.agents, "agent")
        return self


class AppMethodSpec(_Strict):
    name: Name
    developer: Name
    agent: Name
    agent_method: Name
    description: str | None = None


class AppInstanceSpec(_Strict):
    name: Name
    app: str | None = None  # the Silvana app name; defaults to `name`
    admin: Address | None = None
    max_attempts: int = Field(default=3, ge=1, le=255)
    description: str | None = None
    methods: list[AppMethodSpec] = Field(default_factory=list)
    settlement_chains: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_methods(self) -> Self:
        _unique(self.methods, "method")
        return self


class JobSpec(_Strict):
    at_secs: float | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    at_checkpoint: int | None = Field(default=None, ge=1)
    developer: Name
    agent: Name
    method: Name
    app_instance: Name
    data: bytes = b""  # 0x-prefixed hex in the file
    description: str | None = None
    app_instance_method: str | None = None
    sequences: list[Annotated[int, Field(ge=0, lt=1 << 64)]] | None = None
    # 2025-11: a periodic job, pending again this long after each run (>= 60000).
    interval_ms: int | None = Field(default=None, ge=60_000, lt=1 << 64)

    @field_validator("data", mode="before")
    @classmethod
    def _data_hex(cls, value: object) -> object:
        return _hex(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_time(self) -> Self:
        if (self.at_secs is None) == (self.at_checkpoint is None):
            raise ValueError("give exactly one of at_secs and at_checkpoint")
        return self


class ChainSpec(_Strict):
    package_id: Address | None = None
    registry_id: Address | None = None
    checkpoint_interval_secs: float | None = Field(default=None, ge=0, le=3600)
    noise: bool = False
    event_module: EventModule = "entry"
    retain_checkpoints: int | None = Field(default=None, ge=1)
    layout: Layout = DEFAULT_LAYOUT
    reference_gas_price: int = Field(default=1000, ge=1, le=100_000)


class FundSpec(_Strict):
    address: Address
    amount: int = Field(ge=1, lt=2**64)


class FaultsSpec(_Strict):
    drop_stream_after_frames: int = Field(default=0, ge=0)
    stall_stream_after_frames: int = Field(default=0, ge=0)
    stall_secs: float = Field(default=3600.0, ge=0, le=7 * 24 * 3600)
    unavailable_every: int = Field(default=0, ge=0)
    unavailable_burst: int = Field(default=0, ge=0)
    unimplemented: list[str] = Field(default_factory=list)
    index_lag_checkpoints: int = Field(default=0, ge=0)
    old_node: bool = False

    @field_validator("unimplemented")
    @classmethod
    def _known_methods(cls, value: list[str]) -> list[str]:
        for method in value:
            if method not in SUI_METHODS:
                raise ValueError(f"{method!r} is not one of {sorted(SUI_METHODS)}")
        return value

    def build(self) -> Faults:
        return Faults(**{**self.model_dump(), "unimplemented": frozenset(self.unimplemented)})


class Scenario(_Strict):
    chain: ChainSpec = ChainSpec()
    faults: FaultsSpec = FaultsSpec()
    developers: list[DeveloperSpec] = Field(default_factory=list)
    app_instances: list[AppInstanceSpec] = Field(default_factory=list)
    jobs: list[JobSpec] = Field(default_factory=list)
    fund: list[FundSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        _unique(self.developers, "developer")
        _unique(self.app_instances, "app instance")
        known = {app.name for app in self.app_instances}
        for job in self.jobs:
            # Developer, agent and method may be unknown on purpose (a job the
            # coordinator cannot place); a job needs its app instance, though.
            if job.app_instance not in known:
                raise ValueError(
                    f"a job names app instance {job.app_instance!r}, "
                    f"which is not in [[app_instances]]"
                )
            if job.interval_ms is not None and self.chain.layout == "2025-08":
                raise ValueError("interval_ms (a periodic job) needs chain.layout 2025-11")
        return self


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; `ScenarioError` (one line) when unusable."""
    try:
        with path.open("rb") as file:
            tree = tomllib.load(file)
    except FileNotFoundError:
        raise ScenarioError(f"scenario {path}: file not found") from None
    except OSError as exc:
        raise ScenarioError(f"scenario {path}: cannot read it: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario {path}: not valid TOML: {exc}") from None
    try:
        return Scenario.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError(f"scenario {path}: {_one_line(exc)}") from None


def _one_line(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ""
    for part in error["loc"]:
        if isinstance(part, int):
            key += f"[{part}]"
        elif not part.startswith(("function-", "literal[")):
            key += f".{part}" if key else part
    if error["type"] == "extra_forbidden":
        return f"unknown key {key}"
    if error["type"] == "missing":
        return f"{key} is required"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict | list):
        message += f", got {error['input']!r}"
    return f"{key}: {message}" if key else message


def build_simnet(
    scenario: Scenario | None,
    *,
    package_id: str | None = None,
    registry_id: str | None = None,
    checkpoint_interval_secs: float | None = None,
) -> Simnet:
    """A simulator set up as the scenario says; arguments given here win over its [chain].

    The registry content is created and sealed into checkpoint 1 at once; the
    job schedule is armed and runs once `Simnet.run()` starts.
    """
    scenario = scenario or Scenario()
    chain = scenario.chain
    interval = checkpoint_interval_secs
    if interval is None:
        interval = 1.0 if chain.checkpoint_interval_secs is None else chain.checkpoint_interval_secs
    kwargs: dict[str, Any] = {}
    if package_id or chain.package_id:
        kwargs["package_id"] = package_id or chain.package_id
    sim = Simnet(
        registry_id=registry_id or chain.registry_id,
        checkpoint_interval_secs=interval,
        faults=scenario.faults.build(),
        noise=chain.noise,
        event_module=chain.event_module,
        retain_checkpoints=chain.retain_checkpoints,
        layout=chain.layout,
        reference_gas_price=chain.reference_gas_price,
        **kwargs,
    )
    populate(sim, scenario)
    return sim


def populate(sim: Simnet, scenario: Scenario) -> None:
    """Create the scenario's registry and app instances (sealed) and arm its jobs."""
    # A spec's fields are the action's arguments, under the same names.
    for dev in scenario.developers:
        sim.register_developer(**dev.model_dump(exclude={"agents"}))
        for agent in dev.agents:
            sim.register_agent(dev.name, **agent.model_dump(exclude={"methods"}))
            for method in agent.methods:
                sim.add_method(
                    dev.name, agent.name, method.name,
                    **method.model_dump(exclude={"name", "default"}),
                )  # fmt: skip
                if method.default:
                    sim.set_default_method(dev.name, agent.name, method.name)
    for app in scenario.app_instances:
        sim.create_app_instance(
            app.name, app=app.app, admin=app.admin, max_attempts=app.max_attempts,
            description=app.description,
            methods={m.name: AppMethod(m.developer, m.agent, m.agent_method, m.description)
                     for m in app.methods},
            settlement_chains={chain: address or None
                               for chain, address in app.settlement_chains.items()},
        )
    for grant in scenario.fund:
        sim.fund(grant.address, grant.amount)
    if sim.chain.pending:
        sim.seal()
    for job in scenario.jobs:
        action = partial(sim.create_job, **job.model_dump(exclude={"at_secs", "at_checkpoint"}))
        if job.at_checkpoint is not None:
            sim.at_checkpoint(job.at_checkpoint, action)
        else:
            assert job.at_secs is not None
            sim.after_secs(job.at_secs, action)
