"""Secrets at rest (Hugging Face tokens, registry passwords): Fernet with a
key file in the data dir, readable by its owner only."""
from __future__ import annotations

import os
import threading

KEY_FILE = "secret.key"


class SecretBox:
    def __init__(self, data_dir: str):
        self.path = os.path.join(data_dir, KEY_FILE)
        self._fernet = None
        self._lock = threading.Lock()

    def _box(self):
        if self._fernet is None:
            with self._lock:
                if self._fernet is None:
                    from cryptography.fernet import Fernet

                    self._fernet = Fernet(self._key(Fernet))
        return self._fernet

    def _key(self, fernet_cls) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                return fh.read().strip()
        except FileNotFoundError:
            pass
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        key = fernet_cls.generate_key()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            with open(self.path, "rb") as fh:
                return fh.read().strip()
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key

    def encrypt(self, text: str) -> bytes:
        return self._box().encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        return self._box().decrypt(token).decode("utf-8")


def mask(secret: str | None) -> str | None:
    """``hf_abcdefgh1234`` -> ``****1234`` (None stays None)."""
    if not secret:
        return None
    return "****" + secret[-4:] if len(secret) > 8 else "****"
