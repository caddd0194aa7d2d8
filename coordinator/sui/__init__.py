"""Everything that talks to a Sui fullnode: endpoint, channel, calls, ingest."""
