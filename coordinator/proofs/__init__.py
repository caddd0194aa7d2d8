"""The proof and state store (issue 24 item 4): descriptors `backend:network:hash`.

- `descriptor`: the descriptor format, strict parsing, upstream's content hash;
- `store`: `ProofStore`, the async interface the pipeline calls;
- `backend`: the one seam; `embedded` (files) and `s3` (obstore) behind it;
- `settings`: the `[proofs]` section; `factory`: settings -> store.

Decisions and their reasons: docs/proof-store.md.
"""
