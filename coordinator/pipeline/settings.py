"""The `[pipeline]` settings: how often the coordinator's own proof-pipeline
loops run (upstream: blocks every 60 s, the proof analysis every 300 s)."""

from __future__ import annotations

from pydantic import Field

from coordinator.section import Section

__all__ = ["PipelineSettings"]


class PipelineSettings(Section):
    """The coordinator's own proof-pipeline loops: blocks, settle and merge
    jobs, purge (docs/proof-pipeline.md).

    They run only with a Sui key (they send transactions). Each pass over the
    known app instances is bounded by `pass_timeout_secs`: a slow node delays
    a pass, never the daemon."""

    enabled: bool = True
    """Run the loops; off, an observer or another coordinator keeps the pipeline."""
    block_interval_secs: float = Field(default=60.0, gt=0, le=86400)
    """How often `try_create_block` is considered for every known app instance."""
    analysis_interval_secs: float = Field(default=300.0, gt=0, le=86400)
    """How often each app instance's settle jobs, merge jobs and purge are decided."""
    pass_timeout_secs: float = Field(default=240.0, gt=0, le=3600)
    """Deadline of one pass over all app instances (the rest waits for the next)."""
