"""The coordination package's Move modules, as the simulator runs them: one
module here per Move module (`registry`, `app_instance`, `jobs`, and the older
`jobs_2025_08` rules; the proof pipeline's `prover`, `sequence_state`,
`block`, `settlement`), each with its objects' rules and, for the calls a
signed transaction may make, a `HANDLERS` table the engine dispatches on.

A new Move module is a new file here and one line in `sim.Simnet`'s list of
handler tables.
"""
