"""Benchmarks of the coordinator (scripts/bench); see README, "Benchmarks"."""
