"""Signing without a database: manifests, bundles, keys, the verifier's messages, the scrub's throttle."""

import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from registry import verify
from registry.services.scrub import Throttle
from registry.signing import keys, ossf
from registry.signing.base import (
    SIGNED_IGNORES,
    BundleError,
    SignatureMismatch,
    SignedManifest,
    parse_bundle,
)

MODEL_SIGNING_CLI = Path(sys.executable).with_name("model_signing")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "registry.pem"
    keys.write_private_key(path, keys.generate_private_key_pem())
    return path, keys.public_key_path(path)


@pytest.fixture
def folder(tmp_path):
    """Files whose names sort differently by characters and by path segments (a-b/ vs a/)."""
    root = tmp_path / "model"
    contents = {
        "config.json": b"{}",
        "a/x.txt": b"one",
        "a-b/x.txt": b"two",
        "model.safetensors": bytes(range(256)) * 64,
        ".gitattributes": b"*.safetensors filter=lfs\n",
    }
    for path, data in contents.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def digests_of(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_hex(p.read_bytes()) for p in root.rglob("*") if p.is_file()
    }


def sign_in_place(root: Path, private_key: Path, name: str = "acme/model@" + "a" * 40) -> bytes:
    signer = ossf.ModelSigningSigner(private_key)
    bundle = signer.sign(SignedManifest(name=name, sha256_by_path=digests_of(root)))
    (root / "model.sig").write_bytes(bundle)
    return bundle


def test_manifest_leaves_out_signature_git_and_hub_cache_paths_in_model_signing_order():
    manifest = SignedManifest(
        name="n",
        sha256_by_path={
            "a-b/x.txt": "11" * 32,
            "a/x.txt": "22" * 32,
            "model.sig": "33" * 32,
            ".gitattributes": "44" * 32,
            ".cache/huggingface/download/x.metadata": "55" * 32,
            "config.json": "66" * 32,
        },
    )
    assert [path for path, _ in manifest.items()] == ["a/x.txt", "a-b/x.txt", "config.json"]
    expected_root = hashlib.sha256(bytes.fromhex("22" * 32 + "11" * 32 + "66" * 32)).hexdigest()
    assert manifest.root_digest() == expected_root


def test_bundle_signed_from_digests_states_what_the_manifest_says(folder, key_pair):
    private, public = key_pair
    digests = digests_of(folder)
    manifest = SignedManifest(name="acme/tiny@" + "b" * 40, sha256_by_path=digests)
    info = parse_bundle(ossf.ModelSigningSigner(private).sign(manifest))
    assert info.key_hint == sha256_hex(public.read_bytes())  # the hint is sha256 of the .pub file
    assert info.subject_name == "acme/tiny@" + "b" * 40 and info.revision == "b" * 40
    assert info.root_digest == manifest.root_digest()
    assert info.sha256_by_path == {p: d for p, d in digests.items() if p != ".gitattributes"}
    assert (info.method, info.hash_type) == ("files", "sha256")
    assert set(info.ignore_paths) == set(SIGNED_IGNORES)


def test_signature_from_digests_verifies_a_real_folder_with_the_upstream_command_line(folder, key_pair):
    """Pins the model-signing internals the signer relies on: a server-made signature must pass
    the stock verifier on the files themselves (signing.md asks for exactly this test)."""
    private, public = key_pair
    sign_in_place(folder, private)
    result = subprocess.run(
        [
            MODEL_SIGNING_CLI,
            "verify",
            "key",
            folder,
            "--signature",
            folder / "model.sig",
            "--public_key",
            public,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification succeeded" in result.stdout


def test_verifying_against_digests_names_each_file_that_differs(folder, key_pair):
    private, public = key_pair
    digests = digests_of(folder)
    manifest = SignedManifest(name="x", sha256_by_path=digests)
    bundle = ossf.ModelSigningSigner(private).sign(manifest)
    assert ossf.verify_bundle(bundle, manifest, public.read_bytes()).root_digest == manifest.root_digest()
    changed = {**digests, "config.json": "00" * 32, "extra.txt": "11" * 32}
    del changed["a/x.txt"]
    with pytest.raises(SignatureMismatch) as failure:
        ossf.verify_bundle(bundle, SignedManifest(name="x", sha256_by_path=changed), public.read_bytes())
    assert failure.value.problems == [
        "a/x.txt: missing (signed, but not present)",
        f"config.json: content differs (sha256 {'00' * 8}…, signed {digests['config.json'][:16]}…)",
        "extra.txt: not signed (present, but not in the signature)",
    ]


def test_an_altered_bundle_fails_cryptographically(folder, key_pair):
    private, public = key_pair
    digests = digests_of(folder)
    manifest = SignedManifest(name="x", sha256_by_path=digests)
    bundle = json.loads(ossf.ModelSigningSigner(private).sign(manifest))
    forged = SignedManifest(name="x", sha256_by_path={**digests, "config.json": "00" * 32})
    other = json.loads(ossf.ModelSigningSigner(private).sign(forged))
    bundle["dsseEnvelope"]["payload"] = other["dsseEnvelope"]["payload"]  # digests swapped, old signature
    with pytest.raises(SignatureMismatch, match="does not verify: the bundle was altered"):
        ossf.verify_bundle(json.dumps(bundle).encode(), forged, public.read_bytes())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x80not json", "not a JSON signature bundle"),
        (b'{"mediaType": "x"}', "not a model-signing bundle"),
        (json.dumps({"dsseEnvelope": {"payload": "!!"}}).encode(), "not a JSON signature bundle"),
    ],
)
def test_unreadable_bundles_are_named(data, message):
    with pytest.raises(BundleError, match=message):
        parse_bundle(data)


@pytest.mark.parametrize(
    "private_key",
    [ed25519.Ed25519PrivateKey.generate(), rsa.generate_private_key(public_exponent=65537, key_size=2048)],
    ids=["ed25519", "rsa"],
)
def test_keys_model_signing_cannot_use_are_refused_with_the_reason(private_key):
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(keys.KeyFileError, match="expected an ECDSA key on P-256, P-384 or P-521"):
        keys.public_key_info(pem)


def test_public_keys_are_normalised_before_hashing():
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    info = keys.public_key_info(b"\n  " + pem.replace(b"\n", b"\r\n") + b"\n\n")
    assert (info.pem, info.hint, info.algorithm) == (pem, sha256_hex(pem), "ecdsa-p384")
    with pytest.raises(keys.KeyFileError, match="not a PEM public key"):
        keys.public_key_info("ssh-ed25519 AAAA")


def test_private_key_file_is_owner_read_only_and_never_overwritten_by_accident(tmp_path):
    path = tmp_path / "nested" / "registry.pem"
    first = keys.write_private_key(path, keys.generate_private_key_pem())
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert keys.public_key_path(path).read_bytes() == first.pem
    with pytest.raises(FileExistsError):
        keys.write_private_key(path, keys.generate_private_key_pem())
    second = keys.write_private_key(path, keys.generate_private_key_pem(), replace=True)
    assert second.hint != first.hint
    assert keys.describe_public_key(keys.load_private_key(path).public_key()).hint == second.hint


def run_verify(capsys, *args) -> tuple[int, str]:
    code = verify.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_verifier_checks_the_revision_a_local_dir_download_came_from(folder, key_pair, capsys):
    private, public = key_pair
    sign_in_place(folder, private, name="acme/model@" + "a" * 40)
    metadata = folder / ".cache" / "huggingface" / "download" / "model.sig.metadata"
    metadata.parent.mkdir(parents=True)
    metadata.write_text("a" * 40 + "\netag\n1.0\n")
    code, output = run_verify(capsys, folder, "--key", public)
    assert code == 0 and "verified: 4 files of acme/model@" in output  # .cache is ignored by the bundle
    metadata.write_text("c" * 40 + "\netag\n1.0\n")
    code, output = run_verify(capsys, folder, "--key", public)
    assert code == 1 and f"but this folder is revision {'c' * 40}" in output
    code, output = run_verify(
        capsys, folder, "--key", public, "--repo", "other/model", "--revision", "a" * 40
    )
    assert code == 1 and "not a revision of other/model" in output


def test_verifier_follows_symlinks_of_a_hub_cache_snapshot(folder, key_pair, capsys, tmp_path):
    """The default huggingface_hub cache: snapshots/<commit>/ holds symlinks into blobs/."""
    private, public = key_pair
    sign_in_place(folder, private, name="acme/model@" + "d" * 40)
    repo = tmp_path / "models--acme--model"
    snapshot = repo / "snapshots" / ("d" * 40)
    (repo / "blobs").mkdir(parents=True)
    for source in folder.rglob("*"):
        if source.is_file():
            blob = repo / "blobs" / sha256_hex(source.read_bytes())
            blob.write_bytes(source.read_bytes())
            link = snapshot / source.relative_to(folder)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(blob)
    code, output = run_verify(capsys, snapshot, "--key", public)
    assert code == 0, output
    (repo / "blobs" / sha256_hex(b"{}")).write_bytes(b'{"evil": 1}')  # tampering through the link
    code, output = run_verify(capsys, snapshot, "--key", public)
    assert code == 1 and "config.json: content differs" in output


def test_verifier_usage_errors_exit_2(tmp_path, capsys):
    code, output = run_verify(capsys, tmp_path / "absent", "--key", tmp_path / "k.pub")
    assert code == 2 and "is not a folder" in output
    with pytest.raises(SystemExit) as exited:
        verify.main([str(tmp_path), "--key", "k.pub", "--revision", "main"])
    assert exited.value.code == 2
    assert "must be a full 40-hex commit id" in capsys.readouterr().err


def test_throttle_sleeps_to_keep_the_rate():
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(100, clock=lambda: now[0], sleep=sleep)
    throttle(50)
    throttle(50)  # 100 bytes at t=0.5: half a second ahead of a 100 B/s schedule
    assert slept == [pytest.approx(0.5), pytest.approx(0.5)]
    now[0] += 5  # a slow read: nothing to wait for
    throttle(100)
    assert len(slept) == 2
    unlimited = Throttle(0, clock=lambda: 0.0, sleep=sleep)
    unlimited(10**9)
    assert len(slept) == 2
