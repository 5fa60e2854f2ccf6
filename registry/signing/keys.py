"""EC key files: create, load and describe keys in the form model-signing accepts.

model-signing 1.1.1 signs and verifies with ECDSA keys on P-256, P-384 or P-521 only (Ed25519
and RSA fail inside the library), so anything else is refused here with that explanation.
No Django: the offline verifier uses `public_key_info` too.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .base import key_hint

CURVES = {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384", "secp521r1": "ecdsa-p521"}
SUPPORTED = "an ECDSA key on P-256, P-384 or P-521 (model-signing supports no other kind)"


class KeyFileError(ValueError):
    """A key that cannot be used, with the reason."""


@dataclass(frozen=True)
class PublicKeyInfo:
    pem: bytes  # normalised PEM SubjectPublicKeyInfo: the bytes the hint is computed from
    hint: str
    algorithm: str


def _algorithm(key: ec.EllipticCurvePublicKey | object) -> str:
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in CURVES:
        kind = getattr(getattr(key, "curve", None), "name", None) or type(key).__name__
        raise KeyFileError(f"the key is {kind}; expected {SUPPORTED}")
    return CURVES[key.curve.name]


def describe_public_key(public_key: ec.EllipticCurvePublicKey) -> PublicKeyInfo:
    algorithm = _algorithm(public_key)
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return PublicKeyInfo(pem=pem, hint=key_hint(pem), algorithm=algorithm)


def public_key_info(pem: bytes | str) -> PublicKeyInfo:
    """Check a PEM public key and return it normalised, with its hint and algorithm."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data.strip() + b"\n")
    except ValueError as exc:
        raise KeyFileError(
            "not a PEM public key (expected '-----BEGIN PUBLIC KEY-----'; "
            "`openssl ec -in private.pem -pubout` prints one)"
        ) from exc
    return describe_public_key(key)  # type: ignore[arg-type]


def generate_private_key_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(path: Path, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the private key {path}: {exc.strerror}") from exc
    return load_private_key_pem(data, password, source=str(path))


def load_private_key_pem(
    data: bytes, password: bytes | None = None, *, source: str = "the key"
) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{source} is not a usable PEM private key: {exc}") from exc
    _algorithm(key.public_key())
    return key  # type: ignore[return-value]


def public_key_path(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.stem + ".pub")


def write_private_key(path: Path, pem: bytes, *, replace: bool = False) -> PublicKeyInfo:
    """Write a private key readable by its owner only (mode 0400), and its public key beside it.

    Without `replace` an existing file is an error (two processes creating the default key at
    once: one wins, the other loads it). With it the new key takes the old one's place atomically.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = describe_public_key(serialization.load_pem_private_key(pem, None).public_key())  # type: ignore[arg-type]
    # O_EXCL: a second process creating the default key fails here instead of overwriting it.
    target = path.with_name(f".{path.name}.{os.getpid()}.tmp") if replace else path
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(target, path)  # the old key is gone in one step: never a half-written file
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        raise
    public = public_key_path(path)
    public_temporary = public.with_name(f".{public.name}.{os.getpid()}.tmp")
    public_temporary.write_bytes(info.pem)
    os.replace(public_temporary, public)
    return info
