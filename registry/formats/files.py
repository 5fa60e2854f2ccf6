"""Which paths and file types a version may contain, with the reason when one is refused."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

from registry.errors import InvalidInput, RefusedFileType

PICKLE_SUFFIXES = frozenset(
    {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".dill", ".npy", ".npz"}
)
EXECUTABLE_SUFFIXES = frozenset(
    {
        ".exe",
        ".dll",
        ".so",
        ".dylib",
        ".sh",
        ".bash",
        ".bat",
        ".cmd",
        ".ps1",
        ".py",
        ".pyc",
        ".jar",
        ".com",
        ".msi",
    }
)
ALLOWED_SUFFIXES = frozenset(
    {
        ".safetensors",  # the only weights format
        ".json",
        ".txt",
        ".md",
        ".yaml",
        ".yml",
        ".jinja",  # chat templates
        ".model",  # sentencepiece tokenizer (protobuf, not pickle)
        ".tiktoken",
        ".vocab",
        ".csv",
        ".sig",  # model-signing bundles
        ".pem",
    }
)
# Extension-less files commonly found at a model's root.
ALLOWED_BARE_NAMES = ("LICENSE", "LICENCE", "NOTICE", "COPYING", "USE_POLICY", "README", ".gitattributes")

PICKLE_REASON = (
    "pickle-based weights can run arbitrary code when loaded and are not accepted. "
    "Convert them to safetensors, e.g. model.save_pretrained(path, safe_serialization=True)."
)
EXECUTABLE_REASON = "executables and scripts are not accepted in a model repository."

# Leading bytes of content that must never pass under an innocent-looking name.
_MAGIC = {
    b"\x80\x02": "pickle",
    b"\x80\x03": "pickle",
    b"\x80\x04": "pickle",
    b"\x80\x05": "pickle",
    b"PK\x03\x04": "zip archive (PyTorch checkpoint)",
    b"\x7fELF": "ELF executable",
}

MAX_PATH_LENGTH = 1000
MAX_SEGMENT_LENGTH = 255


def check_path(path: str) -> str:
    """Return the path if it is a safe relative POSIX path, else raise naming the problem."""
    if not path or not isinstance(path, str):
        raise InvalidInput("file path is empty")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidInput(f"file path is longer than {MAX_PATH_LENGTH} characters: {path[:60]!r}…")
    if "\\" in path:
        raise InvalidInput(f"file path {path!r} contains a backslash; use '/' between folders")
    if path.startswith("/"):
        raise InvalidInput(f"file path {path!r} is absolute; paths are relative to the repository root")
    if unicodedata.normalize("NFC", path) != path:
        raise InvalidInput(f"file path {path!r} is not in Unicode NFC form")
    for char in path:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}:
            raise InvalidInput(
                f"file path {path!r} contains the control or invisible character U+{ord(char):04X}"
            )
    for segment in path.split("/"):
        if segment in {"", ".", ".."}:
            raise InvalidInput(f"file path {path!r} has an empty, '.' or '..' segment")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidInput(
                f"file path {path!r} has a segment longer than {MAX_SEGMENT_LENGTH} characters"
            )
    if path.split("/")[0] in {".git", ".cache"}:
        raise InvalidInput(f"file path {path!r} is inside a reserved folder (.git, .cache)")
    return path


def check_file_type(path: str) -> None:
    """Refuse pickle weights, executables and unknown types, by name."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise RefusedFileType(PICKLE_REASON, path=path)
    if suffix in EXECUTABLE_SUFFIXES:
        raise RefusedFileType(EXECUTABLE_REASON, path=path)
    if (
        suffix in ALLOWED_SUFFIXES
        or name.upper().startswith(ALLOWED_BARE_NAMES)
        or name in ALLOWED_BARE_NAMES
    ):
        return
    others = ", ".join(sorted(ALLOWED_SUFFIXES - {".safetensors"}))
    raise RefusedFileType(
        f"file type {suffix or '(no extension)'!r} is not accepted. Weights must be .safetensors; "
        f"other files may be {others} or LICENSE/NOTICE files.",
        path=path,
    )


def check_content_head(path: str, head: bytes) -> None:
    """Refuse content whose first bytes reveal pickle, an archive or an executable."""
    if path.endswith(".safetensors"):
        return  # validated by its own header check
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            reason = PICKLE_REASON if kind == "pickle" or kind.startswith("zip") else EXECUTABLE_REASON
            raise RefusedFileType(f"content is a {kind} despite its name; {reason}", path=path)


def is_weights(path: str) -> bool:
    return path.endswith(".safetensors")
