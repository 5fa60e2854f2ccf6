"""Shared steps of the Hub compatibility tests: publishing with the real command, users and tokens,
digests, and a TCP proxy in front of the object store that can cut a download short."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

from registry.models import Membership, ModelRepository, Version
from registry.services import repositories, tokens


def publish_command(folder: Path, repo_id: str, *options: str) -> Version:
    """`manage.py publish_model FOLDER --repo REPO_ID [options]`, as an operator runs it."""
    call_command("publish_model", str(folder), "--repo", repo_id, "--no-progress", *options)
    namespace, name = repo_id.split("/")
    return (
        Version.objects.published()
        .filter(repository__namespace__slug=namespace, repository__name=name)
        .latest("published_at")
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_digests(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder` (symlinks followed, as users read them)."""
    return {
        p.relative_to(folder).as_posix(): sha256_of(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


def user_with_token(
    username: str, *, scope: str = "read", member_of: str | None = None, role: str = "reader"
):
    user = get_user_model().objects.create_user(username=username, password="x" * 12)
    if member_of:
        publisher = repositories.ensure_publisher(slug=member_of)
        Membership.objects.create(publisher=publisher, user=user, role=role)
    _, raw = tokens.create_token(user=user, scope=scope, name=f"{username}-token")
    return user, raw


def repository(repo_id: str) -> ModelRepository:
    namespace, name = repo_id.split("/")
    return ModelRepository.objects.get(namespace__slug=namespace, name=name)


@dataclass
class InterruptingProxy:
    """Forwards TCP connections to `upstream` (host, port), recording each HTTP request line and
    headers; the first connection that carries a GET is cut after `cut_after` response bytes,
    as a flaky network would."""

    upstream: tuple[str, int]
    cut_after: int | None = None
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._cut_done = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stopped.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        state = {"cut": False}
        threading.Thread(target=self._requests, args=(client, upstream, state), daemon=True).start()
        sent = 0
        try:
            while chunk := upstream.recv(1 << 16):
                if state["cut"] and self.cut_after is not None and sent + len(chunk) > self.cut_after:
                    client.sendall(chunk[: self.cut_after - sent])
                    break  # the network "fails" here
                client.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _requests(self, client: socket.socket, upstream: socket.socket, state: dict) -> None:
        buffer = b""
        try:
            while chunk := client.recv(1 << 16):
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    self._record(head.decode("latin-1"), state)
                upstream.sendall(chunk)
        except OSError:
            pass

    def _record(self, head: str, state: dict) -> None:
        lines = head.split("\r\n")
        match = re.match(r"^(\w+) (\S+) HTTP", lines[0])
        if match is None:
            return
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        self.requests.append({"method": match.group(1), "path": match.group(2), **headers})
        with self._lock:
            if match.group(1) == "GET" and not self._cut_done:
                self._cut_done = state["cut"] = True


@contextmanager
def public_endpoint(url: str):
    """Presign downloads for `url` (S3_PUBLIC_ENDPOINT_URL) for the duration of the block."""
    from django.conf import settings

    from registry.storage import get_store

    previous = settings.S3_PUBLIC_ENDPOINT_URL
    settings.S3_PUBLIC_ENDPOINT_URL = url
    get_store.cache_clear()
    try:
        yield
    finally:
        settings.S3_PUBLIC_ENDPOINT_URL = previous
        get_store.cache_clear()
