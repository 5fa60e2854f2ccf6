"""The OpenSSF model-signing implementation: sign from known digests, verify digests or a folder.

Signing never reads the model's bytes: the manifest is built from the sha256 values the server
already computed from the stored bytes, handed to model-signing through a hashing config that
returns it (docs/signing.md, "Sign a version from stored digests"). That relies on
`model_signing.manifest` and a private `Digest` class, hence the pinned version and the test
that verifies a server-made signature on a real folder with the upstream command line.

Importing this module imports model-signing (~0.5 s): callers import it lazily.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

import model_signing
from cryptography.exceptions import InvalidSignature
from model_signing import manifest as ms_manifest
from model_signing._hashing.hashing import Digest

from . import keys
from .base import (
    GIT_PATHS,
    HASH_TYPE,
    SIGNATURE_PATH,
    BundleInfo,
    SignatureMismatch,
    SignedManifest,
    describe_differences,
    is_ignored,
    parse_bundle,
)

READ_CHUNK = 1 << 20


class _PrecomputedHashing(model_signing.hashing.Config):
    """A hashing config that hands over a manifest built from known digests instead of reading files."""

    def __init__(self, manifest: ms_manifest.Manifest):
        super().__init__()
        self._manifest = manifest

    def hash(self, model_path, *, files_to_hash=None) -> ms_manifest.Manifest:
        return self._manifest


def build_manifest(manifest: SignedManifest) -> ms_manifest.Manifest:
    serialization = ms_manifest.SerializationType.from_args(
        {
            "method": "files",
            "hash_type": HASH_TYPE,
            "allow_symlinks": False,
            "ignore_paths": list(manifest.ignores),
        }
    )
    items = [
        ms_manifest.FileManifestItem(path=PurePosixPath(path), digest=Digest(HASH_TYPE, bytes.fromhex(sha)))
        for path, sha in manifest.items()
    ]
    return ms_manifest.Manifest(manifest.name, items, serialization)


class ModelSigningSigner:
    """Signs with an EC private key, in model-signing's key mode (no network, no log).

    The library reads the key from a file: a key given as PEM text (from the environment) is
    written to a private temporary folder for the duration of each signature only.
    """

    def __init__(
        self, private_key_path: Path | None, password: bytes | None = None, *, pem: bytes | None = None
    ):
        if pem is not None:
            key = keys.load_private_key_pem(pem, password, source="REGISTRY_SIGNING_KEY_PEM")
        elif private_key_path is not None:
            key = keys.load_private_key(private_key_path, password)
        else:
            raise keys.KeyFileError("no private key given")
        public = keys.describe_public_key(key.public_key())
        self._path, self._pem, self._password = private_key_path, pem, password
        self.algorithm, self.key_hint, self.public_key_pem = public.algorithm, public.hint, public.pem

    def sign(self, manifest: SignedManifest) -> bytes:
        with tempfile.TemporaryDirectory(prefix="sign-") as tmp:  # mode 0700
            out, key_path = Path(tmp) / SIGNATURE_PATH, self._path
            if self._pem is not None:
                key_path = Path(tmp) / "key.pem"
                key_path.touch(mode=0o600)
                key_path.write_bytes(self._pem)
            (
                model_signing.signing.Config()
                # The library's type hint says str; cryptography needs bytes (signing.md).
                .use_elliptic_key_signer(private_key=key_path, password=self._password)  # type: ignore[arg-type]
                .set_hashing_config(_PrecomputedHashing(build_manifest(manifest)))
                .sign(tmp, out)
            )
            return out.read_bytes()


def _check_key(info: BundleInfo, public_key_pem: bytes) -> None:
    expected = keys.public_key_info(public_key_pem).hint
    if info.key_hint and info.key_hint != expected:
        raise SignatureMismatch(
            f"the signature was made with key {info.key_hint[:16]}…, not with the given key {expected[:16]}…"
        )


def _run_verifier(config: model_signing.verifying.Config, folder: Path, signature: Path) -> str | None:
    """Run the stock verifier; None when it passes, else the kind of failure ('content' or a message)."""
    try:
        config.verify(folder, signature)
    except InvalidSignature:
        return "the signature does not verify: the bundle was altered after signing, or forged"
    except ValueError as exc:
        message = str(exc)
        if message.startswith("Signature mismatch"):
            return "content"
        return message.strip() or type(exc).__name__
    except Exception as exc:  # the library's own parsing errors (protobuf, pydantic, KeyError)
        return f"model-signing could not read the signature: {type(exc).__name__}: {exc}"
    return None


def verify_bundle(bundle: bytes, manifest: SignedManifest, public_key_pem: bytes) -> BundleInfo:
    """Verify a bundle against known digests (no files on disk); raise SignatureMismatch naming files."""
    info = parse_bundle(bundle)
    _check_key(info, public_key_pem)
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        signature, public = Path(tmp) / "bundle.sig", Path(tmp) / "key.pub"
        signature.write_bytes(bundle)
        public.write_bytes(public_key_pem)
        config = (
            model_signing.verifying.Config()
            .use_elliptic_key_verifier(public_key=public)
            .set_hashing_config(_PrecomputedHashing(build_manifest(manifest)))
        )
        failure = _run_verifier(config, Path(tmp), signature)
    if failure == "content":
        # The envelope verified before the comparison, so the bundle's digests are authentic.
        raise SignatureMismatch(
            "files do not match the signature",
            describe_differences(info.sha256_by_path, dict(manifest.items())),
        )
    if failure is not None:
        raise SignatureMismatch(failure)
    return info


def _walk(folder: Path, ignores: Iterable[str], allow_symlinks: bool) -> Iterator[tuple[str, Path]]:
    for root, dirs, names in os.walk(folder, followlinks=allow_symlinks):
        for name in names:
            local = Path(root) / name
            relative = local.relative_to(folder).as_posix()
            if not is_ignored(relative, ignores) and local.is_file():
                yield relative, local
        dirs.sort()


def digest_folder(folder: Path, *, ignores: Iterable[str], allow_symlinks: bool = False) -> dict[str, str]:
    """sha256 of every file the stock verifier would look at (used to explain a failure)."""
    ignores = tuple(ignores)
    found = {}
    for relative, local in _walk(folder, ignores, allow_symlinks):
        sha = hashlib.sha256()
        with open(local, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                sha.update(chunk)
        found[relative] = sha.hexdigest()
    return found


def verify_folder(
    folder: Path, signature: Path, public_key_pem: bytes, *, allow_symlinks: bool = False
) -> BundleInfo:
    """Verify a folder as `model_signing verify key` does; raise SignatureMismatch naming the files."""
    info = parse_bundle(signature.read_bytes())
    _check_key(info, public_key_pem)
    try:  # like the upstream CLI: a signature kept inside the folder is not part of the model
        extra_ignores = [signature.resolve().relative_to(folder.resolve()).as_posix()]
    except ValueError:
        extra_ignores = []
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        public = Path(tmp) / "key.pub"
        public.write_bytes(public_key_pem)
        config = (
            model_signing.verifying.Config()
            .use_elliptic_key_verifier(public_key=public)
            .set_hashing_config(
                model_signing.hashing.Config()
                .set_ignored_paths(paths=[pathlib.Path(p) for p in extra_ignores])
                .set_allow_symlinks(allow_symlinks)
            )
        )
        failure = _run_verifier(config, folder, signature)
    if failure == "content":
        ignores = (*info.ignore_paths, *GIT_PATHS, *extra_ignores)
        actual = digest_folder(folder, ignores=ignores, allow_symlinks=allow_symlinks)
        raise SignatureMismatch(
            "files do not match the signature", describe_differences(info.sha256_by_path, actual)
        )
    if failure is not None:
        raise SignatureMismatch(failure)
    return info
