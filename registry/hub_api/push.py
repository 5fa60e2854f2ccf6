"""The Hub's publishing routes, as `huggingface_hub` calls them (hf-hub-protocol.md §6, §7).

create_repo → (validate-yaml) → preupload → LFS batch → presigned PUTs / parts → completion →
verify → commit (NDJSON). Every route needs a write token; bytes go straight to storage, the
commit is verified, signed and published before it answers (the client reads the branch back at
once), and a refused commit changes nothing visible.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from registry.errors import (
    Conflict,
    InvalidInput,
    InvalidModelCard,
    NotFound,
    PermissionDenied,
    RegistryError,
    Unauthorized,
)
from registry.formats import cards
from registry.models import ApiToken, ModelRepository, Ref
from registry.services import access, accounts, ingest, repositories, uploads
from registry.xet import tokens as xet_tokens

from .endpoints import Caller, hub_endpoint
from .responses import error_response, hub_json
from .revisions import resolve

LFS_JSON = "application/vnd.git-lfs+json"
MAX_JSON_BODY = 4 << 20  # batch and preupload bodies: 256 entries each, far below this


def _writer(caller: Caller):
    """The user behind a write token; 401 without a token of ours, 403 for a read token."""
    if caller.token is None:
        raise Unauthorized(
            "Pushing needs a write token of this registry: create one in the portal (Tokens) and pass it "
            "as HF_TOKEN or token=... (a huggingface.co token is not valid here)."
        )
    if caller.token.scope != ApiToken.Scope.WRITE:
        raise PermissionDenied(
            f"The token {caller.token.prefix}… has the read scope; "
            "pushing needs a token with the write scope."
        )
    return caller.user


def _json_body(request: HttpRequest) -> dict[str, Any]:
    raw = request.read(MAX_JSON_BODY + 1)
    if len(raw) > MAX_JSON_BODY:
        raise InvalidInput(f"request body is larger than {MAX_JSON_BODY} bytes")
    try:
        data = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    return data


def _writable(namespace: str, name: str, user) -> ModelRepository:
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=user)
    access.require_write(repository=repository, user=user)
    return repository


def _rate_limited(view):
    """429 with the headers the client waits on (`RateLimit`, `Retry-After`)."""

    def wrapper(request, caller, **kwargs):
        try:
            return view(request, caller, **kwargs)
        except uploads.TooManyRequests as exc:
            response = error_response(exc)
            response["Retry-After"] = str(exc.retry_after)
            response["RateLimit"] = f'"uploads";r=0;t={exc.retry_after}'
            return response

    return wrapper


def repo_url(request: HttpRequest, repository: ModelRepository) -> str:
    return request.build_absolute_uri(f"/{repository.repo_id}")


# --- repositories ------------------------------------------------------------------------------


@hub_endpoint("POST")
@_rate_limited
def create_repo(request: HttpRequest, caller: Caller) -> HttpResponse:
    user = _writer(caller)
    body = _json_body(request)
    if body.get("type", "model") != "model":
        raise InvalidInput(f"only model repositories are hosted here, not {body.get('type')!r}")
    name = repositories.valid_name(str(body.get("name") or ""), "repository name")
    organization = body.get("organization")
    # "user/name" names the user's own namespace, created on first use.
    personal = not organization or organization == user.get_username()
    if not personal:
        organization = repositories.valid_name(str(organization), "namespace")
    namespace = (
        accounts.personal_namespace(user=user)
        if personal
        else accounts.publisher_for_write(slug=str(organization), user=user)
    )
    visibility = body.get("visibility") or ("private" if body.get("private") else "public")
    existing = ModelRepository.objects.filter(namespace=namespace, name=name).first()
    if existing is not None:
        exc = Conflict(f"You already created this model repo: {existing.repo_id}")
        response = error_response(exc)
        response.content = json.dumps({"error": exc.message, "url": repo_url(request, existing)}).encode()
        return response
    uploads.check_rate(user=user)
    repository = repositories.create_repository(
        namespace=namespace, name=name, actor=user, visibility=str(visibility)
    )
    return hub_json({"url": repo_url(request, repository), "name": repository.repo_id})


@hub_endpoint("DELETE")
def delete_repo(request: HttpRequest, caller: Caller) -> HttpResponse:
    raise PermissionDenied(
        "Deleting a repository is not possible through the Hub API here: published versions are "
        "immutable. Yank versions or make the repository private in the portal."
    )


@csrf_exempt
def validate_yaml(request: HttpRequest) -> HttpResponse:
    """The client parses this answer as JSON before looking at the status (§6.3)."""
    if request.method != "POST":
        return hub_json({"error": "use POST"}, status=405)
    try:
        body = _json_body(request)
        cards.parse_card(str(body.get("content") or "").encode())
    except (InvalidInput, InvalidModelCard) as exc:
        return hub_json({"errors": [{"message": exc.message}]}, status=400)
    return hub_json({"errors": [], "warnings": []})


# --- preupload and LFS -------------------------------------------------------------------------


@hub_endpoint("POST")
@_rate_limited
def preupload(request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str) -> HttpResponse:
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    uploads.check_rate(user=user)
    ingest.load_pipeline_in_background()  # every push starts here; its commit will sign
    branch = unquote(revision)
    entries = _json_body(request).get("files")
    if not isinstance(entries, list) or len(entries) > 1000:
        raise InvalidInput('body must be {"files": [{"path", "size", "sample"}, ...]} (at most 1000)')
    answer = []
    for entry in entries:
        try:
            path, size = str(entry["path"]), int(entry["size"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput('each file needs a "path" and an integer "size"') from None
        uploads.check_declared_file(path=path, size=size)  # pickle, executables, traversal: refused here
        mode = uploads.upload_mode(path=path, size=size)
        answer.append(
            {
                "path": path,
                "uploadMode": mode,
                "shouldIgnore": False,
                "oid": uploads.current_oid(repository=repository, branch=branch, path=path, mode=mode),
            }
        )
    # "lfs" files then go through Xet when hf_xet is installed (xet-write-token, /xet-cas/), or
    # through the LFS batch API when it is not (or HF_HUB_DISABLE_XET=1): both end in the same commit.
    return hub_json({"files": answer})


@hub_endpoint("POST")
@_rate_limited
def lfs_batch(request: HttpRequest, caller: Caller, namespace: str, name: str) -> HttpResponse:
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    body = _json_body(request)
    if body.get("operation") != "upload":
        raise InvalidInput("only the upload operation is served here; downloads use /resolve")
    objects = body.get("objects")
    if not isinstance(objects, list) or len(objects) > 1000:
        raise InvalidInput("objects must be a list of at most 1000 {oid, size}")
    uploads.check_rate(user=user, weight=max(1, len(objects) // 10))
    transfers = body.get("transfers") or ["basic"]
    answer = []
    for plan in uploads.plan_lfs_uploads(repository=repository, user=user, objects=objects):
        item: dict[str, Any] = {"oid": plan.oid, "size": plan.size}
        verify = {
            "href": request.build_absolute_uri("/api/uploads/lfs-verify"),
            "header": {"X-Repository": repository.repo_id},
        }
        if plan.error:
            item["error"] = {"code": 422, "message": plan.error}
        elif plan.put_url:
            item["actions"] = {"upload": {"href": plan.put_url}, "verify": verify}
        elif plan.session is not None:
            if "multipart" not in transfers:
                item["error"] = {"code": 422, "message": "files this large need the multipart transfer"}
            else:
                session = plan.session
                header = {"chunk_size": str(session.part_size)}
                header.update({str(n): url for n, url in enumerate(plan.part_urls, start=1)})
                href = request.build_absolute_uri(
                    f"/api/uploads/{session.pk}/complete?secret={plan.completion_secret}"
                )
                item["actions"] = {"upload": {"href": href, "header": header}, "verify": verify}
        answer.append(item)
    transfer = (
        "multipart" if any(o.get("actions", {}).get("upload", {}).get("header") for o in answer) else "basic"
    )
    response = hub_json({"transfer": transfer, "objects": answer})
    response["Content-Type"] = LFS_JSON
    return response


@csrf_exempt
def complete_multipart(request: HttpRequest, session_id: str) -> HttpResponse:
    """The multipart completion URL: no Authorization is sent, the secret in the URL authorises."""
    if request.method != "POST":
        return hub_json({"error": "use POST"}, status=405)
    try:
        body = _json_body(request)
        parts = uploads.as_parts(body.get("parts") or [])
        uploads.complete_multipart(
            session_id=int(session_id), secret=request.GET.get("secret", ""), parts=parts
        )
    except RegistryError as exc:
        return error_response(exc)
    return hub_json({"success": True})


@hub_endpoint("POST")
def lfs_verify(request: HttpRequest, caller: Caller) -> HttpResponse:
    _writer(caller)
    body = _json_body(request)
    try:
        size = int(body.get("size"))
    except (TypeError, ValueError):
        raise InvalidInput('verify needs {"oid": "<sha256>", "size": n}') from None
    uploads.confirm_stored(sha256=str(body.get("oid") or ""), size=size)
    return hub_json({"success": True})


def _xet_token_response(request: HttpRequest, token: xet_tokens.XetToken) -> HttpResponse:
    """Both forms the client reads: JSON for hf_xet (Rust), headers for huggingface_hub (Python)."""
    cas_url = request.build_absolute_uri("/xet-cas")
    body = {"accessToken": token.access_token, "exp": token.expires_at, "casUrl": cas_url}
    headers = {
        "X-Xet-Cas-Url": cas_url,
        "X-Xet-Access-Token": token.access_token,
        "X-Xet-Token-Expiration": str(token.expires_at),
    }
    return hub_json(body, headers=headers)


@hub_endpoint("PUT")
def repo_settings(request: HttpRequest, caller: Caller, namespace: str, name: str) -> HttpResponse:
    """`update_repo_settings`: make a repository private or public (`visibility`, or the older
    `private`), gated with automatic or manual approval, or not (`gated`: auto, manual, false)."""
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    body = _json_body(request)
    unknown = sorted(set(body) - {"gated", "visibility", "private"})
    if unknown:
        raise InvalidInput(f"setting {unknown[0]!r} cannot be changed here; only gated and visibility can")
    if "private" in body:
        if not isinstance(body["private"], bool):
            raise InvalidInput("private must be true or false")
        body.setdefault("visibility", "private" if body["private"] else "public")
    gated, visibility = body.get("gated"), body.get("visibility")
    if gated is None and visibility is None:
        raise InvalidInput('nothing to change: send "gated" (auto, manual or false) and/or "visibility"')
    # The Hub's words for gating (false, not "none"); update_repository checks visibility values.
    if gated is not None and gated is not False and gated not in ("auto", "manual"):
        raise InvalidInput(f"gated must be 'auto', 'manual' or false, not {str(gated)[:20]!r}")
    repositories.update_repository(
        repository=repository,
        actor=user,
        gating=None if gated is None else "none" if gated is False else gated,
        visibility=visibility,
    )
    return hub_json({"gated": repository.gating, "private": repository.is_private})


@hub_endpoint("GET")
def auth_check_write(request: HttpRequest, caller: Caller, namespace: str, name: str) -> HttpResponse:
    """`auth_check(repo_id, write=True)`: 200 when this token may push to the repository."""
    _writable(namespace, name, _writer(caller))
    return hub_json({})


@hub_endpoint("GET")
def xet_write_token(
    request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str
) -> HttpResponse:
    """hf_xet asks here (and again before expiry) for a token to upload xorbs and shards."""
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    token = xet_tokens.mint(repository=repository, scope=xet_tokens.WRITE, api_token=caller.token)
    ingest.load_pipeline_in_background()
    return _xet_token_response(request, token)


@hub_endpoint("GET")
def xet_read_token(
    request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str
) -> HttpResponse:
    """A token to read reconstructions of the repository's files (whoever may read its files)."""
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=caller.user, files=True)
    token = xet_tokens.mint(repository=repository, scope=xet_tokens.READ, api_token=caller.token)
    return _xet_token_response(request, token)


# --- commits -----------------------------------------------------------------------------------


def _ndjson_lines(request: HttpRequest):
    """Lines of the body read from the stream: the body may be far above DATA_UPLOAD_MAX_MEMORY_SIZE,
    but one line (one inline file, base64) is held at a time, and its length is capped."""
    limit = settings.REGISTRY_INLINE_UPLOAD_THRESHOLD * 2 + (1 << 20)  # base64 of 1.5x the threshold
    number = 0
    while raw := request.readline(limit + 1):
        number += 1
        if len(raw) > limit:
            raise InvalidInput(
                f"commit line {number} is over {limit} bytes: files this large must be uploaded as LFS "
                "files, not inline: " + uploads.upload_hint()
            )
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"commit line {number} is not JSON: {exc}") from exc
        if not isinstance(line, dict) or not isinstance(line.get("value"), dict):
            raise InvalidInput(f'commit line {number} must be {{"key": ..., "value": {{...}}}}')
        yield number, str(line.get("key")), line["value"]


@hub_endpoint("POST")
@_rate_limited
def commit(request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str) -> HttpResponse:
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    uploads.check_rate(user=user)
    if request.GET.get("create_pr") in {"1", "true"}:
        raise InvalidInput("pull requests are not supported here; commit to a branch (create_pr=False)")
    lines = _ndjson_lines(request)
    first = next(lines, None)
    if first is None or first[1] != "header":
        raise InvalidInput("the commit body must start with a header line")
    header = first[2]
    builder = uploads.CommitBuilder(
        repository=repository,
        user=user,
        token=caller.token,
        branch=unquote(revision),
        parent_commit=header.get("parentCommit") or None,
    )
    for number, key, value in lines:
        path = str(value.get("path") or "")
        if key == "file":
            if value.get("encoding", "base64") != "base64":
                raise InvalidInput(f"line {number}: only base64 content is accepted")
            try:
                data = base64.b64decode(str(value.get("content") or ""), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidInput(f"line {number}: {path}: content is not valid base64") from exc
            builder.add_inline(path=path, data=data)
        elif key == "lfsFile":
            if value.get("algo", "sha256") != "sha256":
                raise InvalidInput(f"line {number}: {path}: only sha256 LFS objects are accepted")
            size = value.get("size")
            builder.add_lfs(
                path=path, sha256=str(value.get("oid") or ""), size=None if size is None else int(size)
            )
        elif key == "deletedFile":
            builder.delete_file(path=path)
        elif key == "deletedFolder":
            builder.delete_folder(path=path)
        else:
            raise InvalidInput(f"line {number}: unknown operation {key!r}")
    version = builder.finish(
        summary=str(header.get("summary") or ""), description=str(header.get("description") or "")
    )
    return hub_json(
        {
            "success": True,
            "commitOid": version.commit_id,
            "commitUrl": request.build_absolute_uri(f"/{repository.repo_id}/commit/{version.commit_id}"),
            "hookOutput": "",
        }
    )


# --- branches and tags -------------------------------------------------------------------------


@hub_endpoint("POST", "DELETE")
def tag(request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str) -> HttpResponse:
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    if request.method == "DELETE":
        return _delete_ref(repository, unquote(revision), Ref.Kind.TAG, user)
    body = _json_body(request)
    version = resolve(repository, unquote(revision))
    repositories.create_tag(
        repository=repository, name=str(body.get("tag") or ""), version=version, actor=user
    )
    return hub_json({"success": True})


@hub_endpoint("POST", "DELETE")
def branch(request: HttpRequest, caller: Caller, namespace: str, name: str, branch: str) -> HttpResponse:
    user = _writer(caller)
    repository = _writable(namespace, name, user)
    branch = unquote(branch)
    if request.method == "DELETE":
        return _delete_ref(repository, branch, Ref.Kind.BRANCH, user)
    body = _json_body(request)
    version = resolve(repository, str(body.get("startingPoint") or "main"))
    if (
        not branch
        or len(branch) > 200
        or ".." in branch
        or branch.startswith(("/", "refs/"))
        or " " in branch
    ):
        raise InvalidInput(f"branch name {branch!r} is not valid")
    if Ref.objects.filter(repository=repository, name=branch).exists():
        raise Conflict(f"a branch or tag named {branch!r} already exists in {repository.repo_id}")
    Ref.objects.create(repository=repository, name=branch, kind=Ref.Kind.BRANCH, version=version)
    return hub_json({"success": True})


def _delete_ref(repository: ModelRepository, ref_name: str, kind: str, user) -> HttpResponse:
    if kind == Ref.Kind.BRANCH and ref_name == "main":
        raise InvalidInput("the main branch cannot be deleted")
    deleted, _ = Ref.objects.filter(repository=repository, name=ref_name, kind=kind).delete()
    if not deleted:
        raise NotFound(f"no {kind} named {ref_name!r} in {repository.repo_id}")
    return hub_json({"success": True})
