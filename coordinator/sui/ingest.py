"""The ingest child: keeps a connection to the Sui fullnode, forever.

There is no retry limit: a coordinator that gave up on the chain would be
useless, so failures only lengthen the backoff (with jitter) and show up in
the status record and the log.
"""

from __future__ import annotations

import logging
import ssl

import trio

from coordinator.backoff import Backoff
from coordinator.config import SuiSettings
from coordinator.status import ChainStatus
from coordinator.sui.endpoint import Endpoint, open_stream

log = logging.getLogger("coordinator.sui")


async def run_ingest(settings: SuiSettings, chain: ChainStatus) -> None:
    endpoint = Endpoint.parse(settings.rpc_url)
    backoff = Backoff(maximum=60.0)
    while True:
        chain.connecting()
        try:
            with trio.fail_after(settings.rpc_timeout_secs):
                stream = await open_stream(endpoint)
        except (OSError, ssl.SSLError, trio.TooSlowError) as exc:
            error = str(exc) or type(exc).__name__
            delay = backoff.next_delay()
            chain.reconnecting(delay, error)
            log.warning("cannot reach %s (%s); reconnecting in %.1f s", endpoint, error, delay)
            await trio.sleep(delay)
            continue
        backoff.reset()
        chain.connected()
        log.info("connected to %s", endpoint)
        async with stream:
            # The event stream over this connection is the next step of the build.
            await trio.sleep_forever()
