"""Signed webhooks: real deliveries through a real Celery worker to a receiver on 127.0.0.1."""

import datetime
import itertools
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from evaluators import services as evaluation
from evaluators.plugins import get_plugin
from evaluators.plugins.base import EvaluatorResult
from registry.models import Membership
from registry.services import accounts, scrub, signing
from registry.webhooks import addresses, events, services, transport
from registry.webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint
from registry.webhooks.signatures import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER
from tests.fixtures.models import write_model
from tests.integration.helpers import publish
from tests.integration.test_signing_scrub import flip_one_byte, overwrite_in_seaweedfs

README = Path(settings.BASE_DIR) / "README.md"
WAIT_S = 60


def documented_verifier():
    """The verification snippet exactly as README.md documents it (so the docs cannot rot)."""
    text = README.read_text()
    match = re.search(r"<!-- webhook-verify-snippet -->\n```python\n(.*?)```", text, re.S)
    assert match, "README.md lost its webhook verification snippet"
    namespace: dict = {}
    exec(compile(match.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify_webhook"]


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each request and answers `status`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 204
        self.delay = 0.0  # seconds before answering
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.arrived:
                    request = {"headers": dict(self.headers), "body": body, "path": self.path}
                    receiver.requests.append({**request, "at": time.monotonic()})
                    receiver.arrived.notify_all()
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/registry?source=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        assert len(self.requests) >= count, f"{len(self.requests)} of {count} deliveries arrived"
        return self.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def owner():
    user = get_user_model().objects.create_user("olivia", email="olivia@acme.test")
    accounts.create_organisation(slug="acme", display_name="Acme", owner=user)
    return user


@pytest.fixture
def browser(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


def csrf_token(browser: Client, url: str) -> str:
    page = browser.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def register(browser: Client, url: str, events_: list[str]):
    page = "/portal/orgs/acme/webhooks"
    return browser.post(
        page, {"url": url, "events": events_, "csrfmiddlewaretoken": csrf_token(browser, page)}
    )


def wait_until_finished(delivery_id: int) -> WebhookDelivery:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
        if delivery.is_finished:
            return delivery
        time.sleep(0.1)
    raise AssertionError(f"delivery {delivery_id} still pending after {WAIT_S} s")


@pytest.mark.django_db(transaction=True)
def test_published_version_is_delivered_signed_and_replayed_from_the_portal(
    celery_worker_process, receiver, browser, tmp_path, settings
):
    settings.REGISTRY_POST_PUBLISH_TASKS = []  # evaluation is not what this test waits for
    created = register(browser, receiver.url, ["version.published"])
    assert created.status_code == 302
    endpoint = WebhookEndpoint.objects.get(publisher__slug="acme")
    page = browser.get(created["Location"]).content.decode()
    secret = re.search(r'<code id="webhook-secret">(whsec_[^<]+)</code>', page).group(1)
    assert secret == endpoint.secret
    assert "webhook-secret" not in browser.get(created["Location"]).content.decode()  # shown once

    version = publish(write_model(tmp_path / "model"), "acme/hooked")

    (first,) = receiver.wait_for(1)
    verify = documented_verifier()
    headers, body = first["headers"], first["body"]
    assert verify(secret, headers[SIGNATURE_HEADER], body)
    assert not verify(secret, headers[SIGNATURE_HEADER], body.replace(b"hooked", b"hacked"))
    assert not verify("whsec_wrong", headers[SIGNATURE_HEADER], body)
    assert first["path"] == "/hooks/registry?source=test"
    assert headers[EVENT_HEADER] == "version.published"
    event = json.loads(body)
    assert event["type"] == "version.published" and event["publisher"] == "acme"
    assert event["data"]["repository"] == "acme/hooked"
    assert event["data"]["commit"] == version.commit_id and event["data"]["version_id"] == version.pk
    delivery = wait_until_finished(int(headers[DELIVERY_HEADER]))
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.response_status == 204

    endpoint_page = f"/portal/orgs/acme/webhooks/{endpoint.pk}"
    replayed = browser.post(
        f"{endpoint_page}/deliveries/{delivery.pk}/replay",
        {"csrfmiddlewaretoken": csrf_token(browser, endpoint_page)},
    )
    assert replayed.status_code == 302

    second = receiver.wait_for(2)[1]
    assert verify(secret, second["headers"][SIGNATURE_HEADER], second["body"])
    assert json.loads(second["body"])["id"] == event["id"]  # the same event, sent again
    replay = wait_until_finished(int(second["headers"][DELIVERY_HEADER]))
    assert replay.replay_of_id == delivery.pk and replay.status == "succeeded"
    log = browser.get(endpoint_page).content.decode()
    assert f"replay of {delivery.pk}" in log and "HTTP 204" in log


@pytest.mark.django_db(transaction=True)
def test_failing_receiver_is_retried_with_back_off_then_disabled(
    celery_worker_process, receiver, browser, owner
):
    receiver.status = 500
    endpoint, _ = services.create_endpoint(
        publisher=owner.memberships.get().publisher,
        url=receiver.url,
        events=["version.published"],
        actor=owner,
    )
    (delivery,) = events.emit(endpoint.publisher, "version.published", {"repository": "acme/x"})

    failures = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    assert failures < settings.WEBHOOK_MAX_ATTEMPTS  # disabling, not running out of attempts, stops it
    delivery = wait_until_finished(delivery.pk)
    arrivals = [r["at"] for r in receiver.wait_for(failures)]
    assert len(receiver.requests) == failures
    for attempt, (before, after) in enumerate(itertools.pairwise(arrivals), start=1):
        assert after - before >= services.retry_delay(attempt)  # 0.2 s, then 0.4 s: doubling
    assert delivery.status == "failed" and delivery.attempts == failures
    assert delivery.response_status == 500 and delivery.error == "the receiver answered HTTP 500"
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.consecutive_failures == failures
    assert endpoint.disabled_reason.startswith(f"disabled after {failures} failed delivery attempts in a row")
    assert events.emit(endpoint.publisher, "version.published", {}) == []  # a disabled endpoint hears nothing

    endpoint_page = f"/portal/orgs/acme/webhooks/{endpoint.pk}"
    page = browser.get(endpoint_page).content.decode()
    assert "Disabled" in page and "the receiver answered HTTP 500" in page
    refused = browser.post(
        f"{endpoint_page}/deliveries/{delivery.pk}/replay",
        {"csrfmiddlewaretoken": csrf_token(browser, endpoint_page)},
        follow=True,
    )
    assert "the endpoint is disabled; enable it before replaying a delivery" in refused.content.decode()
    assert WebhookDelivery.objects.count() == 1


def make_endpoint(owner, url: str) -> WebhookEndpoint:
    endpoint, _ = services.create_endpoint(
        publisher=owner.memberships.get().publisher, url=url, events=["version.published"], actor=owner
    )
    return endpoint


@pytest.mark.django_db(transaction=True)
def test_a_delivery_the_broker_never_got_is_sent_by_the_sweep(
    celery_worker_process, receiver, owner, monkeypatch
):
    from registry.webhooks.tasks import deliver_webhook_task, requeue_stalled_deliveries_task

    endpoint = make_endpoint(owner, receiver.url)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(deliver_webhook_task, "delay", broker_down)
        (lost,) = events.emit(endpoint.publisher, "version.published", {"repository": "acme/x"})
    lost.refresh_from_db()
    assert lost.status == "pending" and lost.attempts == 0  # logged, not lost, not sent
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE + 60)
    WebhookDelivery.objects.filter(pk=lost.pk).update(created_at=long_ago)
    fresh = WebhookDelivery.objects.create(endpoint=endpoint, event="version.published", body="{}")

    scheduled = settings.CELERY_BEAT_SCHEDULE["requeue-stalled-webhooks"]
    assert scheduled["task"] == requeue_stalled_deliveries_task.name
    requeue_stalled_deliveries_task.delay()  # what beat sends every WEBHOOK_SWEEP_INTERVAL seconds

    (arrived,) = receiver.wait_for(1)
    assert int(arrived["headers"][DELIVERY_HEADER]) == lost.pk
    assert json.loads(arrived["body"])["data"] == {"repository": "acme/x"}
    assert wait_until_finished(lost.pk).status == "succeeded"
    time.sleep(0.5)
    assert len(receiver.requests) == 1  # the fresh delivery is not overdue: its own message will come
    fresh.refresh_from_db()
    assert fresh.status == "pending" and fresh.attempts == 0


@pytest.mark.django_db
def test_the_sweep_takes_only_overdue_pending_deliveries(owner, settings, monkeypatch):
    settings.WEBHOOK_RETRY_BASE_DELAY, settings.WEBHOOK_SWEEP_GRACE = 600, 900
    endpoint = make_endpoint(owner, "https://8.8.8.8/hook")
    now = timezone.now()

    def delivery(minutes_ago: int, *, attempts: int = 0, status: str = "pending") -> int:
        made = WebhookDelivery.objects.create(
            endpoint=endpoint, event="version.published", body="{}", attempts=attempts, status=status
        )
        at = now - datetime.timedelta(minutes=minutes_ago)
        WebhookDelivery.objects.filter(pk=made.pk).update(
            created_at=at, last_attempt_at=at if attempts else None
        )
        return made.pk

    never_queued = delivery(60)
    just_made = delivery(1)
    in_back_off = delivery(20, attempts=1)  # next attempt due 10 min ago: within the 15 min grace
    retry_lost = delivery(30, attempts=1)  # next attempt due 20 min ago
    delivery(60, attempts=1, status="succeeded")
    delivery(60, attempts=4, status="failed")
    queued: list[int] = []
    monkeypatch.setattr(events, "enqueue", lambda pk: queued.append(pk) or True)

    assert services.requeue_stalled_deliveries() == 2
    assert queued == [never_queued, retry_lost]
    assert just_made not in queued and in_back_off not in queued
    queued.clear()
    assert services.requeue_stalled_deliveries(limit=1) == 1 and queued == [never_queued]  # oldest first
    tried: list[int] = []
    monkeypatch.setattr(events, "enqueue", lambda pk: bool(tried.append(pk)))  # the broker is down
    assert services.requeue_stalled_deliveries() == 0 and tried == [never_queued]  # one try, then wait


@pytest.mark.django_db
def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(receiver, owner, settings):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    receiver.delay = 1.5
    endpoint, _ = services.create_endpoint(
        publisher=owner.memberships.get().publisher,
        url=receiver.url,
        events=["version.published"],
        actor=owner,
    )
    (delivery,) = events.emit(endpoint.publisher, "version.published", {})  # queued on commit: never here

    attempt = services.attempt_delivery(delivery=delivery)

    assert attempt.delivery.error == "the receiver did not answer in time"
    assert attempt.delivery.status == "pending" and attempt.retry_in == settings.WEBHOOK_RETRY_BASE_DELAY
    assert WebhookEndpoint.objects.get().consecutive_failures == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "events_", "field", "message"),
    [
        ("http://hooks.example.com/registry", ["version.published"], "url", addresses.HTTPS_REQUIRED),
        ("ftp://hooks.example.com/registry", ["version.published"], "url", addresses.HTTPS_REQUIRED),
        ("http://8.8.8.8/registry", ["version.published"], "url", addresses.HTTP_LOOPBACK_ONLY),
        (
            "https://10.1.2.3/registry",
            ["version.published"],
            "url",
            "10.1.2.3 resolves to 10.1.2.3, a private, loopback or reserved address",
        ),
        ("https://169.254.169.254/latest/meta-data", ["tamper.detected"], "url", "reserved address"),
        (
            "https://hooks.example.com/registry",
            ["version.published", "model.deleted"],
            "events",
            "Select a valid choice. model.deleted is not one of the available choices.",
        ),
        ("https://hooks.example.com/registry", [], "events", "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_form_error(browser, url, events_, field, message):
    response = register(browser, url, events_)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8080/hook", addresses.HTTPS_REQUIRED),
        ("https://127.0.0.1/hook", "127.0.0.1 resolves to 127.0.0.1, a private, loopback"),
        ("https://localhost/hook", "localhost resolves to 127.0.0.1"),
        ("https://192.168.1.10/hook", "resolves to 192.168.1.10"),
        ("https://[fd00::1]/hook", "resolves to fd00::1"),
        ("https://[::ffff:10.0.0.1]/hook", "::ffff:10.0.0.1 resolves to"),
        ("https://100.64.0.1/hook", "resolves to 100.64.0.1"),
        ("https://[fe80::1]/hook", "resolves to fe80::1"),
        ("https://user:pw@8.8.8.8/hook", "credentials in the URL"),
    ],
)
def test_production_refuses_plain_http_and_inner_addresses(settings, url, problem):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False

    with pytest.raises(addresses.InvalidWebhookUrl) as refused:
        addresses.check_url(url)

    assert problem in refused.value.message


def test_production_accepts_https_to_a_public_address(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False

    target = addresses.check_url("https://8.8.8.8:8443/hooks?x=1")

    assert (target.address, target.port, target.path, target.host_header) == (
        "8.8.8.8",
        8443,
        "/hooks?x=1",
        "8.8.8.8:8443",
    )


@pytest.mark.django_db
def test_only_owners_and_maintainers_see_the_webhooks(owner):
    reader = get_user_model().objects.create_user("rita")
    Membership.objects.create(publisher=owner.memberships.get().publisher, user=reader, role="reader")
    client = Client()
    assert client.get("/portal/orgs/acme/webhooks").status_code == 302  # to the login page
    client.force_login(reader)
    assert client.get("/portal/orgs/acme/webhooks").status_code == 404
    client.force_login(owner)
    assert client.get("/portal/orgs/acme/webhooks").status_code == 200


PRIVATE_CARD_WITHOUT_LICENSE = "---\ntags: [internal]\npipeline_tag: text-generation\n---\n# A model\n"


@pytest.mark.django_db
def test_each_event_is_emitted_by_the_service_where_it_happens(owner, tmp_path, settings):
    """Recorded for delivery, in order; sent only once committed (never, in this rolled-back test)."""
    settings.REGISTRY_SIGNING_KEY_PATH = tmp_path / "keys" / "registry.pem"  # rotated below: our own
    call_command("create_signing_key", "--path", str(settings.REGISTRY_SIGNING_KEY_PATH), stdout=StringIO())
    endpoint, _ = services.create_endpoint(
        publisher=owner.memberships.get().publisher,
        url="https://8.8.8.8/hook",
        events=list(EVENTS),
        actor=owner,
    )
    folder = write_model(tmp_path / "model", seed=5, card=PRIVATE_CARD_WITHOUT_LICENSE)
    version = publish(folder, "acme/watched", visibility="private")  # a warning: no license
    (run,) = evaluation.plan_evaluations(version=version, evaluators=["size"], force=True, enqueue=False)
    evaluation.record_result(run, EvaluatorResult(status="passed"), plugin=get_plugin("size"))
    call_command(
        "create_signing_key", "--rotate", "--path", str(settings.REGISTRY_SIGNING_KEY_PATH), stdout=StringIO()
    )
    signing.reissue_signature(version=version, reason="key rotated")
    weights = version.files.select_related("blob").get(path="model.safetensors").blob
    overwrite_in_seaweedfs(weights.storage_key, flip_one_byte)
    scrub.scrub_blobs(max_bytes=0, bytes_per_second=0)

    deliveries = list(endpoint.deliveries.order_by("pk"))
    assert [d.event for d in deliveries] == [
        "compliance.finding",
        "version.published",
        "evaluation.finished",
        "signature.reissued",
        "tamper.detected",
    ]
    assert {d.status for d in deliveries} == {"pending"}
    data = {d.event: json.loads(d.body)["data"] for d in deliveries}
    assert all(d["repository"] == "acme/watched" and d["version_id"] == version.pk for d in data.values())
    assert "license-missing" in {f["code"] for f in data["compliance.finding"]["findings"]}
    assert data["version.published"]["commit"] == version.commit_id
    assert (data["evaluation.finished"]["evaluator"], data["evaluation.finished"]["status"]) == (
        "size",
        "passed",
    )
    assert data["signature.reissued"]["reason"] == "key rotated"
    assert data["tamper.detected"]["sha256"] == weights.sha256


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for `localhost`, and its key, that no system trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "localhost.pem", folder / "localhost.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_https_delivery_checks_the_receivers_certificate(receiver, tmp_path, settings):
    cert_path, key_path = self_signed_certificate(tmp_path)
    receiver.status = 200
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    target = addresses.check_url(f"https://localhost:{receiver.server.server_port}/tls")

    with pytest.raises(transport.DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        transport.post(target, body=b"{}", headers={})  # not trusted by the system
    settings.WEBHOOK_CA_BUNDLE = str(cert_path)  # a private CA the operator configured
    reply = transport.post(target, body=b"{}", headers={})

    assert (reply.status, reply.body) == (200, "ok")
    assert receiver.requests[-1]["path"] == "/tls"
    assert receiver.requests[-1]["headers"]["Host"] == f"localhost:{receiver.server.server_port}"
