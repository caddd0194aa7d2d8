"""The enclave's Sui key, handed over by its host at start and kept in memory only.

The enclave image is measured (PCR0) and public, so it cannot carry the key;
an enclave has no disk to keep one on. With `[enclave] key_channel` set, the
entrypoint waits (up to `key_wait_secs`) on that channel, vsock in an
enclave, before it starts the daemon; the host connects and sends the key's
`suiprivkey1...` text, then ends its side; the enclave answers one line,
`ok <address>` or `error: <why>` (never the key), and on an error waits for
another try. The key then lives in the daemon's settings in memory: never in a
file, the environment of a process, a log line or the status.

Host side, from wherever the operator keeps the key (a secrets manager, a
KMS-decrypted blob), through a pipe, never a file in clear:

    ... | python -m coordinator.enclave.key_handover --to vsock:16:7000

What this does not do, and docs/enclave.md designs: keep the host from ever
seeing the key (KMS decrypting for the enclave's attested measurement only).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import trio

from coordinator.channel import Channel, dial_channel, open_channel_listener
from coordinator.sui.keys import SuiKey, SuiKeyError

log = logging.getLogger("coordinator.enclave")

MAX_KEY_BYTES = 1024  # a suiprivkey1 text is 70 characters
READ_TIMEOUT_SECS = 10.0
DIAL_RETRY_SECS = 1.0


class KeyHandoverError(Exception):
    """The handover failed; one line for the operator, never the key."""


async def _read_to_eof(stream: trio.abc.ReceiveStream, limit: int) -> bytes:
    data = b""
    while chunk := await stream.receive_some(limit + 1 - len(data)):
        data += chunk
        if len(data) > limit:
            raise KeyHandoverError(f"more than {limit} bytes: not a key")
    return data


async def receive_key(channel: Channel, within: float) -> str:
    """Wait on `channel` for a valid key; its text. KeyHandoverError when none
    came within `within` seconds."""
    listener = await open_channel_listener(channel)
    log.info("waiting up to %.0f s for the host to hand the Sui key over on %s", within, channel)
    async with listener:
        with trio.move_on_after(within):
            while True:
                stream = await listener.accept()
                async with stream:
                    try:
                        with trio.fail_after(READ_TIMEOUT_SECS):
                            raw = await _read_to_eof(stream, MAX_KEY_BYTES)
                        text = raw.decode("ascii").strip()
                        key = SuiKey.from_text(text, "the key handed over")
                    except (KeyHandoverError, SuiKeyError, UnicodeDecodeError,
                            trio.TooSlowError, trio.BrokenResourceError, OSError) as exc:
                        reason = ("not ASCII text" if isinstance(exc, UnicodeDecodeError)
                                  else "nothing sent in time" if isinstance(exc, trio.TooSlowError)
                                  else str(exc) or type(exc).__name__)
                        log.warning("key handover on %s refused: %s", channel, reason)
                        await _answer(stream, f"error: {reason}")
                        continue
                    await _answer(stream, f"ok {key.address}")
                    log.info("the host handed over the key of %s", key.address)
                    return text
    raise KeyHandoverError(f"no key was handed over on {channel} within {within:.0f} s "
                           "(python -m coordinator.enclave.key_handover on the host)")


async def _answer(stream: trio.SocketStream, line: str) -> None:
    try:
        with trio.move_on_after(READ_TIMEOUT_SECS):
            await stream.send_all(line.encode() + b"\n")
    except (trio.BrokenResourceError, OSError):
        pass  # the host went away; it will try again or time out


async def hand_over(channel: Channel, key_text: str, within: float) -> str:
    """Host side: send the key, dialing until the enclave listens; its address."""
    with trio.move_on_after(within):
        while True:
            try:
                stream = await dial_channel(channel)
            except OSError:
                await trio.sleep(DIAL_RETRY_SECS)  # the enclave is still starting
                continue
            async with stream:
                await stream.send_all(key_text.strip().encode("ascii", "replace") + b"\n")
                await stream.send_eof()
                with trio.fail_after(READ_TIMEOUT_SECS):
                    reply = (await _read_to_eof(stream, MAX_KEY_BYTES)).decode(errors="replace")
            line = reply.strip()
            if line.startswith("ok "):
                return line[3:]
            raise KeyHandoverError(f"the enclave refused the key: {line or 'no answer'}")
    raise KeyHandoverError(f"nothing listened on {channel} within {within:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coordinator.enclave.key_handover",
        description="Hand the coordinator's Sui key (suiprivkey1..., read from stdin) to an "
        "enclave waiting on [enclave] key_channel.")
    parser.add_argument("--to", required=True, metavar="CHANNEL",
                        help="vsock:CID:PORT of the enclave (or unix:/path in stand-in mode)")
    parser.add_argument("--wait", type=float, default=600.0, metavar="SECS",
                        help="how long to keep dialing while the enclave starts (default 600)")
    args = parser.parse_args(argv)
    try:
        channel = Channel.parse(args.to)
    except ValueError as exc:
        print(f"error: --to: {exc}", file=sys.stderr)
        return 2
    key_text = sys.stdin.read(MAX_KEY_BYTES + 1)
    try:
        address = trio.run(hand_over, channel, key_text, args.wait)
    except (KeyHandoverError, trio.TooSlowError, OSError) as exc:
        print(f"error: key handover: {exc}", file=sys.stderr)
        return 1
    print(f"handed over: the enclave runs with the key of {address}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
