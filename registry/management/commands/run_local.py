"""`run_local`: the one-command product: embedded S3, a Celery worker, demo data, the web server.

Ctrl-C (or SIGTERM) stops everything it started, in reverse order.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from registry.storage import get_store
from registry.storage.seaweed import SeaweedServer

ADMIN_USERNAME = "admin"


def check_web_port(port: int) -> None:
    """Refuse, before starting anything, a web port that cannot be served: the web server's own
    error comes only after storage, migrations and the demo, and does not say which port."""
    if settings.S3_EMBEDDED and port == settings.S3_PORT:
        raise CommandError(
            f"PORT={port} is the embedded S3 server's port (S3_PORT); run with another PORT "
            "(the default is 8000) or move S3 with S3_PORT"
        )
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise CommandError(
                f"port {port} on 127.0.0.1 is in use ({exc.strerror}); stop what listens there "
                "or run with another PORT, e.g. PORT=8080 make run"
            ) from exc


class Command(BaseCommand):
    help = "Run everything on one machine: SeaweedFS (unless S3_ENDPOINT_URL is set), worker, demo, web."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--skip-demo", action="store_true", help="do not seed the demo catalog")

    def handle(self, *args, port, skip_demo, **opts):
        check_web_port(port)
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.seaweed: SeaweedServer | None = None
        stop = {"requested": False}

        def request_stop(signum, frame):
            stop["requested"] = True
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, request_stop)
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        try:
            self._start_storage()
            call_command("migrate", interactive=False, verbosity=0)
            get_store().ensure_bucket()
            # The portal uploads from the browser straight to the bucket: allow the site's origins.
            get_store().allow_browser_uploads([f"http://127.0.0.1:{port}", f"http://localhost:{port}"])
            password = self._ensure_admin()
            if not skip_demo:
                call_command("seed_demo", stdout=self.stdout)
            self._start_worker()
            self._start_web(port)
            self._banner(port, password)
            while not stop["requested"]:
                for name, child in self.children:
                    if child.poll() is not None:
                        raise CommandError(f"{name} exited with code {child.returncode}; stopping")
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            # A second Ctrl-C, or make's own signal to its child, must not cut the clean-up short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self._stop_all()
            self.stdout.write("Stopped.")

    def _start_storage(self):
        if not settings.S3_EMBEDDED:
            self.stdout.write(f"Object storage: {settings.S3_ENDPOINT_URL} (S3_ENDPOINT_URL)")
            return
        self.seaweed = SeaweedServer(
            settings.SEAWEEDFS_DATA_DIR,
            s3_port=settings.S3_PORT,
            access_key=settings.S3_ACCESS_KEY_ID,
            secret_key=settings.S3_SECRET_ACCESS_KEY,
            bucket=settings.S3_BUCKET,
        )
        self.stdout.write(
            f"Starting embedded SeaweedFS on {self.seaweed.endpoint} (data in {self.seaweed.data_dir})"
        )
        try:
            self.seaweed.start()
        except RuntimeError as exc:
            raise CommandError(
                f"{exc}\nIs port {settings.S3_PORT} busy? Set S3_PORT to another one."
            ) from exc

    def _ensure_admin(self) -> str:
        """A local demo admin; its password lives in the data folder so every start can print it."""
        password_file = settings.DATA_DIR / "admin-password.txt"
        User = get_user_model()
        if not password_file.exists() or not User.objects.filter(username=ADMIN_USERNAME).exists():
            password = secrets.token_urlsafe(12)
            user = User.objects.filter(username=ADMIN_USERNAME).first() or User(username=ADMIN_USERNAME)
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            password_file.write_text(password)
            password_file.chmod(0o600)
        return password_file.read_text().strip()

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(settings.DATA_DIR / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.children.append((name, child))

    def _start_worker(self):
        self._spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-P",
                "solo",
                "-Q",
                "default,eval",
                "--beat",  # the periodic scrub and upload clean-up (CELERY_BEAT_SCHEDULE)
                "--schedule",
                str(settings.DATA_DIR / "celerybeat-schedule"),
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
        )

    def _start_web(self, port: int):
        self._spawn("web", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"])
        deadline = time.monotonic() + 30
        import urllib.request

        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(
            f"the web server did not answer on port {port}; see {settings.DATA_DIR / 'web.log'}"
        )

    def _banner(self, port: int, password: str):
        url = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSLM Registry is running at {url}\n"
                f"  admin:  {url}/admin/  (user {ADMIN_USERNAME!r}, password {password!r})\n"
                f"  API:    {url}/api/v1/docs/\n"
                f"  logs:   {settings.DATA_DIR}/web.log, worker.log\n"
                "Press Ctrl-C to stop."
            )
        )

    def _stop_all(self):
        for _name, child in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
        if self.seaweed is not None:
            self.seaweed.stop()
