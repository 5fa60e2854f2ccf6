"""Verify a downloaded model snapshot against its `model.sig`, offline; fit for CI pipelines.

    python -m registry.verify FOLDER --key registry.pub
    python -m registry.verify FOLDER --registry https://models.example.com

Exit status: 0 when every file in FOLDER matches the signature and the signature verifies with a
registry key that is not revoked; 1 when verification fails, with a message that names the files
or the key at fault; 2 when it cannot be attempted (bad arguments, unreadable key, registry
unreachable). With --key nothing touches the network. Needs model-signing and pyOpenSSL, not
Django. The upstream `model_signing verify key` command accepts the same folder and key; this
one also picks the right key among the registry's (rotation), refuses revoked keys and checks
that the signature names the revision the folder was downloaded at (rollback, mix-up).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

from registry.signing import keys
from registry.signing.base import SIGNATURE_PATH, BundleError, BundleInfo, SignatureMismatch, parse_bundle

OK, FAILED, UNUSABLE = 0, 1, 2
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class Unusable(Exception):
    """Verification could not be attempted (exit 2)."""


class Failed(Exception):
    """Verification was attempted and failed (exit 1)."""


def fetch_registry_keys(url: str, timeout: float = 30) -> list[dict]:
    endpoint = url.rstrip("/") + "/api/v1/signing-keys/"
    if not endpoint.startswith(("http://", "https://")):
        raise Unusable(f"--registry must be an http(s) URL, not {url!r}")
    try:
        with urllib.request.urlopen(endpoint, timeout=timeout) as answer:  # noqa: S310 - scheme checked above
            listing = json.load(answer)
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        raise Unusable(f"could not read the registry's keys from {endpoint}: {exc}") from exc
    return list(listing.get("keys") or [])


def registry_key_for(info: BundleInfo, url: str) -> tuple[bytes, str]:
    """The PEM of the registry key that made the bundle, refusing unknown and revoked keys."""
    for entry in fetch_registry_keys(url):
        if entry.get("hint") != info.key_hint:
            continue
        pem = str(entry.get("public_key_pem", "")).encode()
        try:
            served = keys.public_key_info(pem)
        except keys.KeyFileError as exc:
            raise Unusable(f"the registry serves an unusable key {info.key_hint[:16]}…: {exc}") from exc
        if served.hint != info.key_hint:  # never trust a listing whose PEM is not the key it names
            raise Unusable(f"the registry's key {info.key_hint[:16]}… does not hash to its hint")
        if entry.get("status") == "revoked":
            raise Failed(
                f"model.sig was made with registry key {info.key_hint[:16]}…, revoked on "
                f"{entry.get('revoked_at')}: {entry.get('revocation_reason') or 'no reason given'}. "
                "The registry re-issues signatures after a revocation: download model.sig again."
            )
        return served.pem, f"registry key {info.key_hint[:16]}… ({entry.get('status')})"
    raise Failed(
        f"model.sig was made with key {info.key_hint[:16] or '(none)'}…, which is not a key of {url}"
    )


def downloaded_revision(folder: Path) -> str | None:
    """The commit a huggingface_hub download came from: `snapshots/<commit>/` in the cache layout,
    or the metadata `local_dir` downloads keep under `.cache/huggingface/download/`."""
    resolved = folder.resolve()
    if resolved.parent.name == "snapshots" and COMMIT.match(resolved.name):
        return resolved.name
    metadata = folder / ".cache" / "huggingface" / "download" / f"{SIGNATURE_PATH}.metadata"
    if metadata.is_file():
        first = metadata.read_text(errors="replace").split("\n", 1)[0].strip()
        if COMMIT.match(first):
            return first
    return None


def is_cache_snapshot(folder: Path) -> bool:
    """`models--ns--name/snapshots/<commit>/`: files are symlinks into the cache's `blobs/`."""
    resolved = folder.resolve()
    return resolved.parent.name == "snapshots" and (resolved.parent.parent / "blobs").is_dir()


def check_names(info: BundleInfo, *, repo: str | None, revision: str | None) -> None:
    """The stock verifier ignores the subject name: check it names what the user meant to get."""
    subject_repo, _, subject_revision = info.subject_name.rpartition("@")
    if repo and subject_repo and subject_repo != repo:
        raise Failed(f"model.sig signs {info.subject_name}, not a revision of {repo}")
    if revision and subject_revision and subject_revision != revision:
        raise Failed(
            f"model.sig signs {info.subject_name}, but this folder is revision {revision}: "
            "the signature belongs to another version"
        )


def verify(
    folder: Path,
    *,
    key_file: Path | None = None,
    registry: str | None = None,
    signature: Path | None = None,
    repo: str | None = None,
    revision: str | None = None,
    allow_symlinks: bool | None = None,
) -> str:
    """Verify `folder`; return a one-line summary or raise Failed / Unusable with the reason."""
    from registry.signing import ossf  # model-signing: imported once the arguments are sound

    if not folder.is_dir():
        raise Unusable(f"{folder} is not a folder")
    signature = signature or folder / SIGNATURE_PATH
    if not signature.is_file():
        raise Failed(
            f"{signature} does not exist: download the complete snapshot (no allow_patterns filter); "
            "model.sig lists every file"
        )
    try:
        info = parse_bundle(signature.read_bytes())
    except BundleError as exc:
        raise Failed(f"{signature.name} is not a model-signing signature: {exc}") from exc
    if key_file is not None:
        try:
            key = keys.public_key_info(key_file.read_bytes())
        except (OSError, keys.KeyFileError) as exc:
            raise Unusable(f"cannot use {key_file}: {exc}") from exc
        pem, signer = key.pem, f"key {key.hint[:16]}… ({key_file.name})"
    else:
        pem, signer = registry_key_for(info, registry or "")
    check_names(info, repo=repo, revision=revision or downloaded_revision(folder))
    symlinks = is_cache_snapshot(folder) if allow_symlinks is None else allow_symlinks
    try:
        ossf.verify_folder(folder, signature, pem, allow_symlinks=symlinks)
    except SignatureMismatch as exc:
        raise Failed(str(exc)) from exc
    name = info.subject_name or folder.name
    return f"verified: {len(info.sha256_by_path)} files of {name} match, signed by {signer}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m registry.verify",
        description="Verify a downloaded model snapshot against its model.sig (OpenSSF model signing).",
    )
    parser.add_argument("folder", type=Path, help="the downloaded snapshot")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--key", type=Path, help="the registry's public key (PEM); no network")
    source.add_argument("--registry", help="the registry's URL: its published keys are fetched")
    parser.add_argument("--signature", type=Path, help="signature file (default: FOLDER/model.sig)")
    parser.add_argument("--repo", help="fail unless the signature is for this NAMESPACE/NAME")
    parser.add_argument(
        "--revision",
        help="fail unless the signature is for this commit (default: the downloaded one, if known)",
    )
    parser.add_argument(
        "--allow-symlinks",
        action="store_true",
        default=None,
        help="follow symlinks (automatic for a huggingface_hub cache snapshot folder)",
    )
    args = parser.parse_args(argv)
    if args.revision and not COMMIT.match(args.revision):
        parser.error("--revision must be a full 40-hex commit id (signatures name commits, not branches)")
    try:
        summary = verify(
            args.folder,
            key_file=args.key,
            registry=args.registry,
            signature=args.signature,
            repo=args.repo,
            revision=args.revision,
            allow_symlinks=args.allow_symlinks,
        )
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return FAILED
    except Unusable as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return UNUSABLE
    print(summary)
    return OK


if __name__ == "__main__":
    sys.exit(main())
