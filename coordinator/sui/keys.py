"""The coordinator's Sui key: Ed25519, in Sui's own text form, and its address.

The key arrives as `SUI_SECRET_KEY` (what `sui keytool export` prints, the same
variable the Rust coordinator reads) or from a file holding that text, which must
be readable by its owner only: a key others can read is a key others may have.
The file may be a credential the service manager handed over
(`$CREDENTIALS_DIRECTORY/<sui.key_credential>`): never in the unit, the
environment or the config.
`SUI_ADDRESS`, when given, must be the key's address, so a key swapped by mistake
stops the daemon instead of spending someone else's gas.

The secret never leaves this module as text except through `export()`, which only
`keygen` calls: `repr`/`str` show the address, and errors never quote the input.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import bech32
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "ED25519_FLAG",
    "SuiKey",
    "SuiKeyError",
    "address_of",
    "blake2b256",
    "credential_path",
    "load_key",
    "verify_ed25519",
]

# Sui's signature-scheme flag for Ed25519: the first byte of a `suiprivkey`
# payload, of a serialized signature and of the address preimage.
ED25519_FLAG = 0x00
PRIVATE_KEY_HRP = "suiprivkey"
SECRET_LENGTH = 32
PUBLIC_KEY_LENGTH = 32
SIGNATURE_LENGTH = 64
# A key file holds one short line; anything much bigger is not a key file.
_MAX_KEY_FILE = 4096


class SuiKeyError(ValueError):
    """A key, key file or address that cannot be used; the message is one line
    that never contains the secret. (Named with a trailing underscore so it does
    not shadow the builtin KeyError.)"""


def blake2b256(data: bytes) -> bytes:
    """Sui's hash for addresses, signing digests and transaction digests."""
    return hashlib.blake2b(data, digest_size=32).digest()


def address_of(public_key: bytes) -> str:
    """The Sui address of an Ed25519 public key: BLAKE2b-256(flag || key), 0x-hex."""
    if len(public_key) != PUBLIC_KEY_LENGTH:
        raise SuiKeyError(
            f"an Ed25519 public key has {PUBLIC_KEY_LENGTH} bytes, not {len(public_key)}"
        )
    return "0x" + blake2b256(bytes([ED25519_FLAG]) + public_key).hex()


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when `signature` is `public_key`'s Ed25519 signature of `message`."""
    if len(public_key) != PUBLIC_KEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


class SuiKey:
    """An Ed25519 signing key and the Sui address it controls."""

    __slots__ = ("_private", "address", "public_key")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_key: bytes = private.public_key().public_bytes_raw()
        self.address: str = address_of(self.public_key)

    @classmethod
    def generate(cls) -> SuiKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_secret(cls, secret: bytes) -> SuiKey:
        if len(secret) != SECRET_LENGTH:
            raise SuiKeyError(f"an Ed25519 secret has {SECRET_LENGTH} bytes, not {len(secret)}")
        return cls(Ed25519PrivateKey.from_private_bytes(secret))

    @classmethod
    def from_text(cls, text: str, source: str = "the key") -> SuiKey:
        """Parse `suiprivkey1…` (bech32 of flag || secret). `source` names where it came from."""
        text = text.strip()
        if not text.startswith(PRIVATE_KEY_HRP + "1"):
            raise SuiKeyError(f"{source} is not a Sui private key (expected suiprivkey1...)")
        # The reference decoder caps input at 90 characters (BIP 173); a suiprivkey
        # is 70, so anything it refuses is malformed anyway.
        hrp, words = bech32.bech32_decode(text)
        if hrp != PRIVATE_KEY_HRP or words is None:
            raise SuiKeyError(f"{source} is not valid bech32 (bad character or checksum)")
        payload = bech32.convertbits(words, 5, 8, False)
        if payload is None or len(payload) != 1 + SECRET_LENGTH:
            raise SuiKeyError(
                f"{source} does not hold a flag byte and a {SECRET_LENGTH}-byte secret"
            )
        if payload[0] != ED25519_FLAG:
            raise SuiKeyError(
                f"{source} is not an Ed25519 key (scheme flag 0x{payload[0]:02x}); "
                "only Ed25519 is supported"
            )
        return cls.from_secret(bytes(payload[1:]))

    @classmethod
    def from_file(cls, path: Path) -> SuiKey:
        """Read a key file, refusing one that group or others may read or write."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            raise SuiKeyError(f"key file {path} not found") from None
        except OSError as exc:
            raise SuiKeyError(f"cannot open key file {path}: {exc.strerror}") from None
        try:
            info = os.fstat(fd)  # of the file opened, not of a path swapped since
            if not stat.S_ISREG(info.st_mode):
                raise SuiKeyError(f"key file {path} is not a regular file")
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                raise SuiKeyError(
                    f"key file {path} has mode {mode:04o}; it must be readable by its owner "
                    f"only (chmod 600 {path})"
                )
            raw = os.read(fd, _MAX_KEY_FILE + 1)  # a regular file: one read gets it all
        finally:
            os.close(fd)
        if len(raw) > _MAX_KEY_FILE:
            raise SuiKeyError(f"key file {path} is too large to be a key file")
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise SuiKeyError(f"key file {path} is not a suiprivkey1... text") from None
        return cls.from_text(text, f"key file {path}")

    def sign(self, message: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature of `message`."""
        return self._private.sign(message)

    def export(self) -> str:
        """The key as `suiprivkey1…` text (keygen, a session's container), never for logs."""
        secret = self._private.private_bytes_raw()
        words = bech32.convertbits(bytes([ED25519_FLAG]) + secret, 8, 5, True)
        assert words is not None  # 8 -> 5 bits with padding cannot fail
        return str(bech32.bech32_encode(PRIVATE_KEY_HRP, words))

    def __repr__(self) -> str:
        return f"SuiKey(address={self.address})"

    __str__ = __repr__


def credential_path(name: str, credentials_directory: str | None) -> Path:
    """Where the service manager put credential `name` ($CREDENTIALS_DIRECTORY/name).

    systemd's LoadCredential= copies the file there readable by the service's
    user only (mode 0400, on a ramfs), so `from_file`'s checks hold as they are.
    """
    if not credentials_directory:
        raise SuiKeyError(f"sui.key_credential is {name!r} but $CREDENTIALS_DIRECTORY is not "
                          f"set (systemd: LoadCredential={name}:/path/to/key in the unit)")
    return Path(credentials_directory) / name


def load_key(
    secret: str | None, key_file: Path | None, expected_address: str | None
) -> SuiKey | None:
    """The configured key, or None when neither `secret` nor `key_file` is set.

    Both set is refused (which one wins would be a guess). `expected_address`
    (normalised 0x + 64 hex) must then be the key's address.
    """
    if secret is not None and key_file is not None:
        raise SuiKeyError("SUI_SECRET_KEY and sui.key_file (or sui.key_credential) are both "
                          "set; give one")
    if secret is not None:
        key = SuiKey.from_text(secret, "SUI_SECRET_KEY")
    elif key_file is not None:
        key = SuiKey.from_file(key_file)
    else:
        if expected_address is not None:
            raise SuiKeyError("SUI_ADDRESS is set but no key is (SUI_SECRET_KEY, sui.key_file "
                              "or sui.key_credential)")
        return None
    if expected_address is not None and key.address != expected_address:
        raise SuiKeyError(f"the key's address {key.address} is not SUI_ADDRESS {expected_address}")
    return key
