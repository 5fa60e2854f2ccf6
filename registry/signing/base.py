"""What a signer is, what a signature covers, and how a bundle reads before it is verified.

Pure Python: no Django, no model-signing, so the offline verifier can import it cheaply.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

SIGNATURE_PATH = "model.sig"
# What a registry signature leaves out, recorded in the bundle so that the stock verifier skips
# them too: the signature itself, the bookkeeping folder huggingface_hub writes into `local_dir`
# downloads, and git's files (the stock verifier skips those on disk whatever the bundle says, so
# listing one would make every download fail with "Missing files").
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
SIGNED_IGNORES = (SIGNATURE_PATH, ".cache/huggingface", *GIT_PATHS)
HASH_TYPE = "sha256"
MAX_BUNDLE_SIZE = 32 << 20  # ~250 bytes per file: far above the largest version we accept


class BundleError(ValueError):
    """Bytes that are not a model-signing bundle we can read."""


class SignatureMismatch(ValueError):
    """A signature that does not verify; `problems` names each file or fact that differs."""

    def __init__(self, message: str, problems: Iterable[str] = ()):
        self.problems = list(problems)
        super().__init__(message + (": " + "; ".join(self.problems) if self.problems else ""))


def is_ignored(path: str, ignores: Iterable[str] = SIGNED_IGNORES) -> bool:
    """Whether `path` lies at or below one of the ignored paths (a folder covers its contents)."""
    return any(path == ignored or path.startswith(ignored.rstrip("/") + "/") for ignored in ignores)


def path_order(path: str) -> list[str]:
    """model-signing orders resources as PurePosixPath does: by path segments, not characters."""
    return path.split("/")


def key_hint(public_key_pem: bytes) -> str:
    """The key id model-signing writes into bundles: sha256 of the PEM SubjectPublicKeyInfo bytes."""
    return hashlib.sha256(public_key_pem).hexdigest()


@dataclass(frozen=True)
class SignedManifest:
    """What a signature states: a name and the sha256 of every covered file, by POSIX path."""

    name: str
    sha256_by_path: Mapping[str, str]
    ignores: tuple[str, ...] = SIGNED_IGNORES

    def items(self) -> list[tuple[str, str]]:
        """The covered (path, sha256) pairs, in the order model-signing lists them."""
        covered = [(p, d) for p, d in self.sha256_by_path.items() if not is_ignored(p, self.ignores)]
        return sorted(covered, key=lambda item: path_order(item[0]))

    def root_digest(self) -> str:
        """sha256 over the raw per-file digests in resource order: the bundle's subject digest."""
        root = hashlib.sha256()
        for _, digest in self.items():
            root.update(bytes.fromhex(digest))
        return root.hexdigest()


class Signer(Protocol):
    """Signs a manifest into a model-signing bundle (JSON bytes) with one private key."""

    algorithm: str  # e.g. "ecdsa-p256"
    key_hint: str
    public_key_pem: bytes

    def sign(self, manifest: SignedManifest) -> bytes: ...


@dataclass(frozen=True)
class BundleInfo:
    """A bundle's claims, read without checking its signature: for policy checks and messages."""

    key_hint: str
    subject_name: str
    root_digest: str
    method: str
    hash_type: str
    allow_symlinks: bool
    ignore_paths: tuple[str, ...]
    sha256_by_path: dict[str, str] = field(default_factory=dict)

    @property
    def revision(self) -> str | None:
        """The commit in a registry subject name `namespace/name@commit`, if there is one."""
        _, at, commit = self.subject_name.rpartition("@")
        return commit if at else None


def parse_bundle(data: bytes) -> BundleInfo:
    """Read a model-signing (Sigstore) bundle; raise BundleError naming what is wrong with it."""
    if len(data) > MAX_BUNDLE_SIZE:
        raise BundleError(f"{len(data)} bytes is too large for a signature bundle")
    try:
        bundle = json.loads(data)
        envelope = bundle["dsseEnvelope"]
        statement = json.loads(base64.b64decode(envelope["payload"], validate=True))
        subject = statement["subject"][0]
        predicate = statement["predicate"]
        serialization = predicate["serialization"]
        resources = {r["name"]: r["digest"] for r in predicate["resources"]}
        hint = (bundle.get("verificationMaterial") or {}).get("publicKey", {}).get("hint", "")
        return BundleInfo(
            key_hint=str(hint),
            subject_name=str(subject.get("name", "")),
            root_digest=str(subject["digest"]["sha256"]),
            method=str(serialization.get("method")),
            hash_type=str(serialization.get("hash_type")),
            allow_symlinks=bool(serialization.get("allow_symlinks")),
            ignore_paths=tuple(str(p) for p in serialization.get("ignore_paths") or ()),
            sha256_by_path={str(k): str(v) for k, v in resources.items()},
        )
    except (UnicodeDecodeError, json.JSONDecodeError, binascii.Error) as exc:
        raise BundleError(f"not a JSON signature bundle ({exc})") from exc
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise BundleError(f"not a model-signing bundle (missing or malformed {exc})") from exc


def describe_differences(signed: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """One line per file that differs between what was signed and what is there, sorted by path."""
    problems = []
    for path in sorted(set(signed) | set(actual), key=path_order):
        if path not in actual:
            problems.append(f"{path}: missing (signed, but not present)")
        elif path not in signed:
            problems.append(f"{path}: not signed (present, but not in the signature)")
        elif signed[path] != actual[path]:
            problems.append(
                f"{path}: content differs (sha256 {actual[path][:16]}…, signed {signed[path][:16]}…)"
            )
    return problems
