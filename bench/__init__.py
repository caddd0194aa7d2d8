"""Benchmarks of the coordinator (scripts/bench); see docs/benchmarks.md."""
