"""Files: `/{repo}/resolve/{rev}/{path}` (downloads), the tree listing and paths-info.

Downloads follow the Hub: large and weights ("LFS") files answer 302 to a short-lived presigned
URL on the object store, which must be another origin than this server (hf-hub-protocol.md §4.3),
so no weight byte passes through Django and Range requests and resumes are served by the store.
Small files are answered directly, with their git blob sha1 as ETag, as the Hub does.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import posixpath
import re
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from registry import selectors
from registry.errors import EntryNotFound, InvalidInput, RegistryError
from registry.models import Version, VersionFile
from registry.services import access, downloads
from registry.storage import get_store
from registry.xet import services as xet_services

from .. import params, payloads
from ..endpoints import Caller, hub_endpoint
from ..responses import LINKED_ETAG, LINKED_SIZE, REPO_COMMIT, absolute_link, error_response, hub_json
from ..revisions import resolve, split_revision

CHUNK = 1 << 20
TREE_PAGE = 1000
TREE_PAGE_EXPANDED = 50  # the Hub's own page sizes
DOWNLOAD_COUNTER = "X-HF-Download-Counter"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(RegistryError):
    status = 416
    code = "RangeNotSatisfiable"


def entry_not_found(message: str, commit: str) -> EntryNotFound:
    """EntryNotFound naming the commit: the client then remembers the file is absent there."""
    error = EntryNotFound(message)
    error.commit = commit  # read by hub_endpoint into X-Repo-Commit
    return error


@hub_endpoint("GET")
def resolve_file(request: HttpRequest, caller: Caller, namespace: str, name: str, rest: str) -> HttpResponse:
    repository = access.access_repository(
        repository_id=params.repo_id(namespace, name), user=caller.user, files=True
    )
    revision, path = split_revision(request, repository, rest, segment=4, needs_path=True)
    version = resolve(repository, revision)
    access.require_intact(version=version)  # a version whose stored bytes failed the scrub: 410
    path = params.file_path(path)
    file = (
        VersionFile.objects.filter(version=version, path=path)
        .values("pk", "path", "size", "sha256", "git_oid", "is_lfs", "blob__storage_key")
        .first()
        if path
        else None
    )
    if file is None:
        raise entry_not_found(
            f"{path or '(no path)'} does not exist at {version.commit_id}", version.commit_id
        )
    headers = {REPO_COMMIT: version.commit_id, "Accept-Ranges": "bytes", LINKED_SIZE: str(file["size"])}
    if _counts_as_download(request):
        downloads.record_download(
            file_id=file["pk"], version_id=version.pk, repository_id=repository.pk, path=file["path"]
        )
    if file["is_lfs"]:
        location = get_store().presign_get(
            file["blob__storage_key"], filename=posixpath.basename(path), ttl=settings.S3_PRESIGN_TTL
        )
        response = HttpResponse(status=302)
        response["Location"] = location
        response["Cache-Control"] = "no-store"  # the URL expires; no cache may keep it
        headers.update({"ETag": f'"{file["git_oid"]}"', LINKED_ETAG: f'"{file["sha256"]}"'})
        headers.update(_xet_headers(request, repository, version, file["sha256"]))
    else:
        response = _small_file(request, file)
        headers["ETag"] = f'"{file["git_oid"]}"'
    for header, value in headers.items():
        response[header] = value
    return response


def _xet_headers(request: HttpRequest, repository, version: Version, sha256: str) -> dict[str, str]:
    """With REGISTRY_XET_DOWNLOADS on (the default), a file rebuilt from xorbs is offered to hf_xet
    through the CAS (`X-Xet-Hash` + the read-token link); off, every client follows the 302."""
    if not settings.REGISTRY_XET_DOWNLOADS:
        return {}
    file_id = xet_services.file_id_for(sha256=sha256)
    if file_id is None:
        return {}
    token_url = request.build_absolute_uri(
        f"/api/models/{repository.repo_id}/xet-read-token/{version.commit_id}"
    )
    return {"X-Xet-Hash": file_id, "Link": f'<{token_url}>; rel="xet-auth"'}


def _counts_as_download(request: HttpRequest) -> bool:
    """The Hub client announces downloads on its HEAD (its GET of a large file goes straight to the
    store); others count on a whole-file GET. Ranged reads (headers, resumes) never count."""
    if "Range" in request.headers:
        return False
    if request.method == "HEAD":
        return request.headers.get(DOWNLOAD_COUNTER) == "1"
    return DOWNLOAD_COUNTER not in request.headers


def _small_file(request: HttpRequest, file: dict) -> HttpResponse:
    size = file["size"]
    content_type = mimetypes.guess_type(file["path"])[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type == "application/json":
        content_type += "; charset=utf-8"
    start, length, status = 0, size, 200
    wanted = request.headers.get("Range")
    if wanted and request.method == "GET":
        span = _byte_range(wanted, size)
        if span is None:
            response = error_response(
                RangeNotSatisfiable(f"range {wanted[:60]!r} is outside {file['path']} ({size} bytes)")
            )
            response["Content-Range"] = f"bytes */{size}"
            return response
        start, length = span
        status = 206 if (start, length) != (0, size) else 200
    if request.method == "HEAD":
        response = HttpResponse(status=200, content_type=content_type)
    else:
        store, key = get_store(), file["blob__storage_key"]
        first = store.read_range(key, start, min(CHUNK, length))  # storage errors surface before any byte
        response = StreamingHttpResponse(
            _rest_of(store, key, first, start, length), status=status, content_type=content_type
        )
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    return response


def _rest_of(store, key: str, first: bytes, start: int, length: int) -> Iterator[bytes]:
    yield first
    offset, end = start + len(first), start + length
    while offset < end:
        chunk = store.read_range(key, offset, min(CHUNK, end - offset))
        yield chunk
        offset += len(chunk)


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, length) of a single `bytes=` range; the whole file for forms we do not serve
    (several ranges); None when it cannot be satisfied."""
    match = _RANGE.match(header.strip())
    if match is None:
        return 0, size
    first, last = match.groups()
    if not first and not last:
        return 0, size
    if not first:  # the last N bytes
        count = min(int(last), size)
        return (size - count, count) if count > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end - start + 1


# --- listings ------------------------------------------------------------------------------------


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not valid; use the `next` link of a previous page") from None
    if offset < 0:
        raise InvalidInput("cursor is not valid; use the `next` link of a previous page")
    return offset


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


@hub_endpoint("GET")
def tree(request: HttpRequest, caller: Caller, namespace: str, name: str, rest: str) -> HttpResponse:
    """`list_repo_tree` / `list_repo_files` / `snapshot_download`: the entries under a folder."""
    repository = access.access_repository(repository_id=params.repo_id(namespace, name), user=caller.user)
    revision, folder = split_revision(request, repository, rest, segment=6, needs_path=False)
    version = resolve(repository, revision)
    recursive = params.boolean(request.GET.get("recursive"), "recursive")
    expand = params.boolean(request.GET.get("expand"), "expand")
    folder = params.file_path(folder).strip("/")
    files = selectors.version_files(version.pk)
    entries = payloads.tree(files, folder=folder, recursive=bool(recursive))
    if entries is None:
        raise entry_not_found(f"folder {folder} does not exist at {version.commit_id}", version.commit_id)
    offset = _offset(params.text(request.GET.get("cursor"), "cursor"))
    size = TREE_PAGE_EXPANDED if expand else TREE_PAGE
    page = entries[offset : offset + size]
    if expand:
        page = _expanded(version, page, files)
    headers = {}
    if offset + size < len(entries):
        following = {k: request.GET.getlist(k) for k in request.GET if k != "cursor"}
        headers["Link"] = absolute_link(
            request, request.path, {**following, "cursor": _cursor(offset + size)}
        )
    return hub_json(page, headers=headers)


def _expanded(version: Version, entries: list[dict], files: list[dict]) -> list[dict]:
    """Last commit per entry; a folder's is the newest of its files'."""
    wanted = {e["path"] for e in entries if e["type"] == "file"}
    folders = {e["path"] for e in entries if e["type"] != "file"}
    wanted |= {f["path"] for f in files if any(f["path"].startswith(d + "/") for d in folders)}
    commits = selectors.last_commits(version, sorted(wanted))
    result = []
    for entry in entries:
        if entry["type"] == "file":
            last = commits.get(entry["path"])
        else:
            inside = [c for p, c in commits.items() if p.startswith(entry["path"] + "/")]
            last = max(inside, key=lambda c: c["published_at"], default=None)
        result.append(payloads.expanded_file(entry, last))
    return result


@hub_endpoint("POST")
def paths_info(
    request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str
) -> HttpResponse:
    """`get_paths_info`: entries for the paths that exist (form-encoded `paths`); missing ones are
    skipped, as on the Hub."""
    repository = access.access_repository(repository_id=params.repo_id(namespace, name), user=caller.user)
    version = resolve(repository, revision)
    wanted = [params.file_path(p).strip("/") for p in request.POST.getlist("paths")]
    expand = params.boolean(request.POST.get("expand"), "expand")
    files = selectors.version_files(version.pk)
    by_path = {f["path"]: f for f in files}
    entries = []
    for path in dict.fromkeys(p for p in wanted if p):
        if path in by_path:
            entries.append(payloads.file_entry(by_path[path]))
            continue
        inside = [f"{f['path']} {f['git_oid']}" for f in files if f["path"].startswith(path + "/")]
        if inside:
            entries.append(payloads.folder_entry(path, inside))
    if expand:
        entries = _expanded(version, entries, files)
    return hub_json(entries)
