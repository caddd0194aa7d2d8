"""Everything that talks to a Sui fullnode: endpoint, channel, calls, ingest.

`client` (SuiClient and `connect`: `reads`, `streams` and `executing` over
`caller`, with `errors`, `filters` and `rpcs`); the transactions the
coordinator writes: `codec` (TransactionData and its BCS), `calls/` (the Move
calls, one module per Move module), `signing`, re-exported together by
`transactions`; `executor` (sign, send, confirm); `ingest` (stream +
backfill); reads of the coordination objects (`objects`, `app_instance`,
`app_jobs`); `keys`, `endpoint`, `chain_id`, `chain_status`.
"""
