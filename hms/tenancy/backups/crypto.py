"""The backup file format: compressed, then encrypted in chunks with AES-256-GCM.

    header  = MAGIC, key id (16 ASCII), compression (1 byte: 0 none, 1 zlib), nonce prefix (8)
    chunk   = final flag (1), length (4, big-endian), ciphertext of <= CHUNK bytes

Each chunk's nonce is the prefix and the chunk's number; its additional data is the header
and its final flag, so a chunk moved, dropped, or a file cut short (no final chunk) fails to
decrypt instead of restoring a shortened database. The whole file's SHA-256 (in the manifest)
is checked before anything is decrypted.
"""

import hashlib
import secrets
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hms.tenancy.backups.keys import key_id
from hms.tenancy.exceptions import TenancyError

MAGIC = b"HMSBAK1\n"
CHUNK = 1 << 20
HEADER_BYTES = len(MAGIC) + 16 + 1 + 8
NONE, ZLIB = 0, 1


class BackupUnreadable(TenancyError):
    code = "backup_unreadable"


class EncryptingWriter:
    """Compress (optionally) and encrypt what is written into `sink`, a chunk at a time."""

    def __init__(self, sink: BinaryIO, key: bytes, *, compress: bool = True) -> None:
        self._sink = sink
        self._aead = AESGCM(key)
        self._prefix = secrets.token_bytes(8)
        self._header = MAGIC + key_id(key).encode() + bytes([ZLIB if compress else NONE]) + self._prefix
        self._zlib = zlib.compressobj(6) if compress else None
        self._buffer = bytearray()
        self._counter = 0
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.plain_size = 0
        self._emit(self._header)

    def write(self, data: bytes) -> None:
        self.plain_size += len(data)
        self._buffer += self._zlib.compress(data) if self._zlib else data
        while len(self._buffer) >= CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]

    def close(self) -> None:
        if self._zlib is not None:
            self._buffer += self._zlib.flush()
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        self._seal(bytes(self._buffer), final=True)
        self._buffer.clear()

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._counter)
        self._counter += 1
        sealed = self._aead.encrypt(nonce, plain, self._header + bytes([final]))
        self._emit(bytes([final]) + struct.pack(">I", len(sealed)) + sealed)

    def _emit(self, data: bytes) -> None:
        self._sink.write(data)
        self.sha256.update(data)
        self.size += len(data)


def header_key_id(source: BinaryIO) -> str:
    header = source.read(HEADER_BYTES)
    source.seek(0)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise BackupUnreadable("This is not an HMS backup file (or its header is damaged).")
    return header[len(MAGIC) : len(MAGIC) + 16].decode("ascii", "replace")


def decrypted_chunks(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """The plaintext (decompressed) of a backup file, a chunk at a time; BackupUnreadable on any fault."""
    header = source.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise BackupUnreadable("This is not an HMS backup file (or its header is damaged).")
    if header[len(MAGIC) : len(MAGIC) + 16].decode("ascii", "replace") != key_id(key):
        raise BackupUnreadable("This backup was encrypted with a different key than the hospital's key file.")
    compression = header[len(MAGIC) + 16]
    prefix = header[-8:]
    aead = AESGCM(key)
    inflate = zlib.decompressobj() if compression == ZLIB else None
    counter = 0
    while True:
        head = source.read(5)
        if len(head) < 5:
            raise BackupUnreadable("The backup file is cut short (its last chunk is missing).")
        final, length = head[0], struct.unpack(">I", head[1:])[0]
        sealed = source.read(length)
        if len(sealed) < length:
            raise BackupUnreadable("The backup file is cut short (a chunk is incomplete).")
        try:
            plain = aead.decrypt(prefix + struct.pack(">I", counter), sealed, header + bytes([final]))
        except InvalidTag:
            raise BackupUnreadable(
                f"Chunk {counter} of the backup does not decrypt: damaged or altered."
            ) from None
        counter += 1
        if inflate is not None:
            try:
                plain = inflate.decompress(plain)
            except zlib.error as exc:
                raise BackupUnreadable(f"The backup does not decompress: {exc}") from exc
        if plain:
            yield plain
        if final:
            if source.read(1):
                raise BackupUnreadable("The backup file has data after its last chunk.")
            if inflate is not None and (rest := inflate.flush()):
                yield rest
            return
