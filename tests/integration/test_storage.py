"""The storage adapter's contract, against the real SeaweedFS."""

import hashlib
import urllib.request

import pytest
import requests

from registry.errors import StorageUnavailable
from registry.hashing import Digester, digest_chunks
from registry.storage import blob_key, s3


def test_blob_key_is_content_addressed():
    assert blob_key("a" * 64) == "blobs/sha256/" + "a" * 64
    with pytest.raises(ValueError, match="not a lowercase hex sha256"):
        blob_key("../../etc")


def test_put_head_range_stream_delete(store):
    data = bytes(range(256)) * 100
    store.put_bytes("contract/a", data)
    assert store.head("contract/a").size == len(data)
    assert store.read_range("contract/a", 10, 5) == data[10:15]
    assert (
        digest_chunks(store.iter_chunks("contract/a", chunk_size=1000)).sha256
        == hashlib.sha256(data).hexdigest()
    )
    store.delete("contract/a")
    assert store.head("contract/a") is None


def test_streamed_upload_of_a_multipart_file(store, tmp_path, settings):
    path = tmp_path / "big.bin"
    path.write_bytes(b"\x01" * (6 << 20) + b"\x02" * (6 << 20))
    seen = []
    store.upload_file("contract/big", path, progress=seen.append)
    assert sum(seen) == path.stat().st_size
    assert (
        digest_chunks(store.iter_chunks("contract/big")).sha256
        == hashlib.sha256(path.read_bytes()).hexdigest()
    )


@pytest.mark.parametrize("size", [0, 1000, (16 << 20) * 2 + 7])  # empty, one request, three parts
def test_checksummed_upload_hashes_what_it_sends_once(store, tmp_path, size):
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(range(251)) * (size // 251) + b"\x07" * (size % 251))
    digester, seen = Digester(), []
    store.upload_file_checksummed("contract/checked", path, each_part=digester.update, progress=seen.append)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digester.digest().sha256 == expected and sum(seen) == size
    assert digest_chunks(store.iter_chunks("contract/checked")).sha256 == expected


def test_storage_refuses_a_part_whose_sha256_does_not_match(store, tmp_path, monkeypatch):
    """What S3_VERIFIES_CHECKSUMS relies on: the store recomputes each part's SHA-256 from the
    bytes it received and refuses a mismatch; nothing is left behind."""
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x01" * ((16 << 20) + 5))
    real = s3._sha256_b64
    monkeypatch.setattr(s3, "_sha256_b64", lambda data: real(data[:-1] + b"\x00"))  # bytes altered
    with pytest.raises(StorageUnavailable, match=r"upload of weights\.bin to object storage failed"):
        store.upload_file_checksummed("contract/refused", path, each_part=lambda part: None)
    assert store.head("contract/refused") is None


def test_presigned_get_names_the_download(store):
    store.put_bytes("contract/named", b"hello")
    url = store.presign_get("contract/named", filename="model.safetensors", ttl=60)
    with urllib.request.urlopen(url) as answer:  # noqa: S310 - loopback
        assert answer.read() == b"hello"
        assert answer.headers["Content-Disposition"] == 'attachment; filename="model.safetensors"'
    tampered = url.replace("model.safetensors", "other.bin")
    assert requests.get(tampered, timeout=10).status_code == 403


def test_presigned_multipart_parts(store):
    key = "contract/multipart"
    upload_id = store.start_multipart(key)
    parts = []
    chunks = [b"a" * (5 << 20), b"b" * 1000]
    for number, chunk in enumerate(chunks, start=1):
        answer = requests.put(
            store.presign_upload_part(key, upload_id, number, ttl=60), data=chunk, timeout=30
        )
        assert answer.status_code == 200
        parts.append((number, answer.headers["ETag"]))
    store.complete_multipart(key, upload_id, parts)
    assert store.head(key).size == sum(map(len, chunks))
    aborted = store.start_multipart("contract/aborted")
    store.abort_multipart("contract/aborted", aborted)
    assert store.head("contract/aborted") is None
