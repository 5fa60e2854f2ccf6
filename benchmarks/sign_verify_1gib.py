"""Sign and verify a 1 GiB model; compare with raw single-core sha256 measured in the same run.

Prints, as medians over the rounds, in MB/s (10^6 bytes per second):
  - raw sha256: one core, hashlib over the file read in 1 MiB chunks (what any verifier must do),
  - sign: hash every file and sign, as a publisher does (model-signing's key mode),
  - sign from digests: what the registry does at publication (no byte read; shown in ms),
  - verify: `python -m registry.verify`'s check of the folder (hash every file, compare, check the
    ECDSA signature), in process; and optionally the upstream `model_signing verify key` CLI as a
    whole process (start-up and imports included),
and the ratio verify / raw sha256 (target >= 0.8). The file stays in the page cache between
rounds (it is read once first), so the figures are CPU-bound, as on a machine with fast storage.

    .venv/bin/python benchmarks/sign_verify_1gib.py [--size-mib 1024] [--rounds 3] [--cli]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import verify  # noqa: E402
from registry.signing import keys, ossf  # noqa: E402
from registry.signing.base import SignedManifest  # noqa: E402

READ = 1 << 20  # model-signing's own read size


def write_model(folder: Path, size: int) -> None:
    """A valid safetensors file of `size` random data bytes, plus small JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    with open(folder / "model.safetensors", "wb") as out:
        out.write(struct.pack("<Q", len(header)) + header)
        block = os.urandom(16 << 20)
        for written in range(0, size, len(block)):
            out.write(block[: min(len(block), size - written)])
    (folder / "config.json").write_text(json.dumps({"model_type": "bench"}))
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0"}))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(READ):
            digest.update(block)
    return digest.hexdigest()


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="also time the upstream model_signing CLI")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sign-") as tmp:
        folder, key = Path(tmp) / "model", Path(tmp) / "keys" / "bench.pem"
        write_model(folder, args.size_mib << 20)
        keys.write_private_key(key, keys.generate_private_key_pem())
        public = keys.public_key_path(key)
        files = [p for p in sorted(folder.iterdir()) if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        for path in files:  # into the page cache: every round then reads from memory
            sha256_file(path)
        signer = ossf.ModelSigningSigner(key)
        import model_signing

        def sign_folder() -> None:  # the publisher's way: hash the files, sign, in place
            (
                model_signing.signing.Config()
                .use_elliptic_key_signer(private_key=key)
                .set_hashing_config(model_signing.hashing.Config().set_ignored_paths(paths=["model.sig"]))
                .sign(folder, folder / "model.sig")
            )

        digests = {p.name: sha256_file(p) for p in files}
        manifest = SignedManifest(name="bench/model@" + "0" * 40, sha256_by_path=digests)

        def sign_from_digests() -> None:  # the registry's way: digests known, nothing read
            (folder / "model.sig").write_bytes(signer.sign(manifest))

        def verify_folder() -> None:
            verify.verify(folder, key_file=public)

        def verify_cli() -> None:
            subprocess.run(
                [
                    Path(sys.executable).with_name("model_signing"),
                    "verify",
                    "key",
                    folder,
                    "--signature",
                    folder / "model.sig",
                    "--public_key",
                    public,
                ],
                check=True,
                capture_output=True,
            )

        results: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            results.setdefault("raw sha256 (1 core)", []).append(
                timed(lambda: sha256_file(folder / "model.safetensors"))
            )
            results.setdefault("sign (hash + sign)", []).append(timed(sign_folder))
            results.setdefault("sign from digests", []).append(timed(sign_from_digests))
            results.setdefault("verify (registry.verify)", []).append(timed(verify_folder))
            if args.cli:
                results.setdefault("verify (model_signing CLI)", []).append(timed(verify_cli))

    weights = args.size_mib << 20
    print(
        f"model: {total / 1e6:.1f} MB in {len(files)} files; median of {args.rounds} rounds; MB = 10^6 bytes"
    )
    medians = {name: statistics.median(times) for name, times in results.items()}
    for name, seconds in medians.items():
        if name == "sign from digests":
            print(f"  {name:<28} {seconds * 1000:9.2f} ms   (no byte read: digests come from ingest)")
        else:
            size = weights if name.startswith("raw") else total
            print(f"  {name:<28} {seconds:9.3f} s   {size / seconds / 1e6:8.0f} MB/s")
    raw = weights / medians["raw sha256 (1 core)"]
    for name in ("sign (hash + sign)", "verify (registry.verify)", "verify (model_signing CLI)"):
        if name in medians:
            print(f"  ratio {name} / raw sha256: {total / medians[name] / raw:.2f}")
    ratio = total / medians["verify (registry.verify)"] / raw
    print(f"verify >= 0.8 x raw sha256: {'yes' if ratio >= 0.8 else 'NO'} ({ratio:.2f})")


if __name__ == "__main__":
    main()
