"""The coordinator's own proof-pipeline loops (upstream's merge, block, settle
and purge loops): the merge rule (`merge`), what one analysis of an app
instance decides (`analysis`), the loops that read, decide and send (`loops`)
and their settings (`settings`). See docs/proof-pipeline.md."""
