"""Silvana coordinator: watches a Silvana coordination package on Sui and runs
the agent containers the chain asks for. `coordinator.app.run` is the daemon;
`python -m coordinator` is its command line."""

__version__ = "0.1.0"
