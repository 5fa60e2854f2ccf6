"""Paths and file types: pickle and executables refused with the reason, odd paths refused."""

import re

import pytest

from registry.errors import InvalidInput, RefusedFileType
from registry.formats import files


@pytest.mark.parametrize(
    "path", ["pytorch_model.bin", "model.pt", "weights.pth", "x.pkl", "last.ckpt", "a.npy"]
)
def test_pickle_weights_refused_with_explanation(path):
    with pytest.raises(RefusedFileType) as error:
        files.check_file_type(path)
    assert "pickle-based weights can run arbitrary code" in error.value.message
    assert "safetensors" in error.value.message
    assert error.value.path == path


@pytest.mark.parametrize("path", ["run.sh", "modeling_custom.py", "lib.so", "setup.exe"])
def test_executables_refused(path):
    with pytest.raises(RefusedFileType, match="executables and scripts are not accepted"):
        files.check_file_type(path)


@pytest.mark.parametrize(
    "path",
    [
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "vocab.txt",
        "README.md",
        "LICENSE",
        "tokenizer.model",
        "sub/dir/model-00001-of-00002.safetensors",
        "chat_template.jinja",
        ".gitattributes",
        "model.sig",
    ],
)
def test_allowed_files(path):
    files.check_file_type(files.check_path(path))


def test_unknown_type_names_the_allowed_ones():
    with pytest.raises(
        RefusedFileType, match=r"file type '\.gguf' is not accepted. Weights must be .safetensors"
    ):
        files.check_file_type("model.gguf")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../etc/passwd", "empty, '.' or '..' segment"),
        ("/abs/model.json", "is absolute"),
        ("a\\b.json", "contains a backslash"),
        ("a//b.json", "empty, '.' or '..' segment"),
        ("conf\u202eig.json", "control or invisible character U+202E"),
        ("new\nline.json", "control or invisible character U+000A"),
        (".git/config", "reserved folder"),
        ("e\u0301.json", "not in Unicode NFC form"),
        ("x" * 1001, "longer than 1000 characters"),
        ("", "file path is empty"),
    ],
)
def test_odd_paths_refused(path, message):
    with pytest.raises(InvalidInput, match=re.escape(message)):
        files.check_path(path)


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"\x80\x04\x95", "pickle"), (b"PK\x03\x04", "zip archive"), (b"\x7fELF", "ELF executable")],
)
def test_content_sniffing_catches_disguised_files(head, kind):
    with pytest.raises(RefusedFileType, match=f"content is a {kind}"):
        files.check_content_head("config.json", head + b"rest")
    files.check_content_head("config.json", b'{"a": 1}')
