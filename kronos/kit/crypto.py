"""Encryption at rest: AES-256-GCM under a ring of keys, with rotation.

Keys come from ``KRONOS_ENCRYPTION_KEYS``: ``id:base64key`` entries separated by commas, spaces or new lines,
each key 32 random bytes (AES-256). The **first** key encrypts; **every** key decrypts, so a new key goes
first and the old ones stay until ``kronos keys reencrypt`` has moved every value onto the new one. A value
remembers the id of the key that sealed it, so decrypting never tries keys in turn.

Without the setting, outside production, a key is generated the first time something is encrypted and kept
in ``<data_dir>/encryption_keys`` (same format, mode 0600), like the secret key of ``kronos serve``'s first
start: encryption works embedded with nothing to configure. In production keys come from the setting only:
a key file per process (or per container) would leave every process with a key the others cannot read.

Each value is sealed with a fresh random 96-bit nonce and authenticated together with "associated data"
the caller gives (what the value is and where it belongs), so a ciphertext copied to another place does not
decrypt there. Random nonces are safe for about 2^32 values per key: rotate long before that.

Errors are problem+json like every other: a missing key for a value is 503 ``encryption_key_missing`` (the
server cannot serve it until its keys are fixed), a value that does not authenticate under its key is 503
``decryption_failed`` (wrong key material under that id, or tampering), and asking to encrypt on a
production server without keys is 409 ``encryption_not_configured``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kronos.kit.errors import Conflict, ServiceUnavailable

if TYPE_CHECKING:
    from kronos.config import Settings

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
KEY_BYTES = 32
NONCE_BYTES = 12
KEYS_FILE = "encryption_keys"
_SEPARATORS = re.compile(r"[\s,]+")


class KeyringError(ValueError):
    """The configured keys cannot be used; the message says which entry and why (never the key itself)."""


class EncryptionNotConfigured(Conflict):
    code = "encryption_not_configured"


class EncryptionKeyMissing(ServiceUnavailable):
    code = "encryption_key_missing"


class DecryptionFailed(ServiceUnavailable):
    code = "decryption_failed"


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """``id:base64key`` entries, in order; ``KeyringError`` naming the first bad one."""
    keys: list[tuple[str, bytes]] = []
    for index, entry in enumerate(part for part in _SEPARATORS.split(text.strip()) if part):
        key_id, sep, encoded = entry.partition(":")
        where = f"entry {index + 1}" + (f" ({key_id!r})" if KEY_ID.match(key_id) else "")
        if not sep or not KEY_ID.match(key_id):
            raise KeyringError(
                f"{where}: expected id:base64key, the id made of 1-32 letters, digits, '-' or '_'"
            )
        try:
            material = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"{where}: the key is not valid base64") from None
        if len(material) != KEY_BYTES:
            raise KeyringError(
                f"{where}: the key is {len(material)} bytes; AES-256 needs {KEY_BYTES} "
                "(generate one with `kronos keys generate`)"
            )
        if any(existing == key_id for existing, _ in keys):
            raise KeyringError(f"{where}: the id appears twice")
        keys.append((key_id, material))
    if not keys:
        raise KeyringError("no key given")
    return keys


def new_key() -> tuple[str, bytes]:
    """A fresh key and an id that says when it was made (ids only need to be unique in one ring)."""
    key_id = f"k{datetime.now(UTC):%Y%m%d}{secrets.token_hex(3)}"
    return key_id, secrets.token_bytes(KEY_BYTES)


def format_key(key_id: str, material: bytes) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(material).decode().rstrip('=')}"


@dataclass(frozen=True, slots=True)
class Keyring:
    """Keys by id; the first one encrypts."""

    ids: tuple[str, ...]
    _ciphers: dict[str, AESGCM]
    # The current key's subkey for keyed digests (``digest``): never the key itself.
    _digest_key: bytes

    @classmethod
    def of(cls, keys: list[tuple[str, bytes]]) -> Keyring:
        digest_key = hmac.new(keys[0][1], b"kronos.digest/v1", hashlib.sha256).digest()
        return cls(
            tuple(key_id for key_id, _ in keys), {key_id: AESGCM(key) for key_id, key in keys}, digest_key
        )

    @property
    def current(self) -> str:
        return self.ids[0]

    def digest(self, data: bytes) -> str:
        """A keyed SHA-256 of ``data`` (hex): comparable like a hash, but no one without the key can test a
        guess against it, as anyone can against a plain hash of a low-entropy value."""
        return hmac.new(self._digest_key, data, hashlib.sha256).hexdigest()

    def seal(self, value: Any, associated: bytes) -> dict[str, str]:
        """``value`` (JSON) as an envelope ``{"kid", "enc"}`` under the current key."""
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        key_id, sealed = self.encrypt(plain, associated)
        return {"kid": key_id, "enc": base64.urlsafe_b64encode(sealed).decode().rstrip("=")}

    def open(self, envelope: dict[str, Any], associated: bytes) -> Any:
        """The value an envelope of ``seal`` holds."""
        encoded = str(envelope["enc"])
        try:
            sealed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionFailed("A stored value is not a valid encrypted envelope.") from None
        return json.loads(self.decrypt(str(envelope["kid"]), sealed, associated))

    def encrypt(self, plaintext: bytes, associated: bytes) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext + tag) under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        return self.current, nonce + self._ciphers[self.current].encrypt(nonce, plaintext, associated)

    def decrypt(self, key_id: str, sealed: bytes, associated: bytes) -> bytes:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise EncryptionKeyMissing(
                f"A value is encrypted under key '{key_id[:32]}', which this server does not have: add it "
                "back to KRONOS_ENCRYPTION_KEYS (after the key that encrypts)."
            )
        try:
            return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
        except (InvalidTag, ValueError):
            raise DecryptionFailed(
                f"A value encrypted under key '{key_id}' does not decrypt with this server's key of that id "
                "(different key material under the same id, or a value altered in the database)."
            ) from None


class Keys:
    """This process's key ring, from the settings it was configured with (``configure``).

    The ring is read once and kept; ``rotate_file`` and ``configure`` replace it, and a ring read from the key
    file is read again when the file changes (``kronos keys rotate`` run next to a serving process: the server
    then encrypts with the new key and reads what the command re-encrypted). ``for_writing`` may create the
    key file (outside production); ``for_reading`` never does: with nothing encrypted yet there is nothing to
    read, and a key made up then could never decrypt what was sealed under another."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._ring: Keyring | None = None
        self._stamp: tuple[int, int] | None = None  # the key file's (mtime, size) when the ring was read
        self._lock = threading.Lock()

    def configure(self, settings: Settings) -> None:
        with self._lock:
            self._settings = settings
            self._ring = None
            self._stamp = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:  # a process that never configured keys (a worker): the environment's
            from kronos.config import get_settings

            self._settings = get_settings()
        return self._settings

    @property
    def from_settings(self) -> bool:
        return self.settings.encryption_keys is not None

    @property
    def file(self) -> Path:
        return self.settings.data_dir / KEYS_FILE

    def _load(self, *, create: bool) -> Keyring | None:
        settings = self.settings
        if settings.encryption_keys is not None:
            return Keyring.of(parse_keys(settings.encryption_keys.get_secret_value()))
        if settings.env == "production":
            return None
        if not self.file.exists():
            if not create:
                return None
            _create_file(self.file, format_key(*new_key()))
        stamp = _stamp(self.file)
        try:
            ring = Keyring.of(parse_keys(self.file.read_text()))
        except KeyringError as exc:
            raise EncryptionKeyMissing(f"The key file {self.file} cannot be used: {exc}.") from None
        self._stamp = stamp
        return ring

    def ring(self, *, create: bool) -> Keyring | None:
        if self._ring is not None and self._stamp is not None and _stamp(self.file) != self._stamp:
            with self._lock:
                self._ring = None
        if self._ring is None:
            with self._lock:
                if self._ring is None:
                    self._ring = self._load(create=create)
        return self._ring

    def for_writing(self) -> Keyring:
        ring = self.ring(create=True)
        if ring is None:
            raise EncryptionNotConfigured(
                "This server has no encryption key, so it cannot store sensitive values: set "
                "KRONOS_ENCRYPTION_KEYS (generate a key with `kronos keys generate`) and restart it."
            )
        return ring

    def for_reading(self) -> Keyring:
        ring = self.ring(create=False)
        if ring is None:
            raise EncryptionKeyMissing(
                "Some values are encrypted but this server has no encryption key: set KRONOS_ENCRYPTION_KEYS"
                + ("" if self.settings.env == "production" else f" or restore {self.file}")
                + "."
            )
        return ring

    def rotate_file(self) -> str:
        """Put a new key first in the key file (the old ones stay, to decrypt); its id. Embedded setups only:
        keys from the setting are rotated by editing the setting."""
        if self.from_settings or self.settings.env == "production":
            raise KeyringError(
                "keys come from KRONOS_ENCRYPTION_KEYS: put a new key (`kronos keys generate`) first in it, "
                "restart every process, then run `kronos keys reencrypt`"
            )
        with self._lock:
            old = self.file.read_text().strip() if self.file.exists() else ""
            if old:
                parse_keys(old)  # refuse to build on a broken file
            key_id, material = new_key()
            _write_private(self.file, "\n".join(filter(None, [format_key(key_id, material), old])) + "\n")
            self._ring = None
        return key_id


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _create_file(path: Path, line: str) -> str:
    """Write ``line`` to ``path`` unless another process made the file first; the file's text either way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(line + "\n")
    try:
        os.link(temporary, path)  # fails if the file exists: two first starts keep one key between them
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text()


KEYS = Keys()
