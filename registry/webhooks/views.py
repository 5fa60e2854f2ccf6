"""Portal pages of an organisation's webhooks (owners and maintainers): list and register endpoints,
see an endpoint's delivery log, replay a delivery, enable, disable or delete an endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.views.base import CONTENT_SECURITY_POLICY
from registry.errors import RegistryError

from . import addresses, services
from .forms import EndpointForm
from .models import EVENTS, WebhookDelivery, WebhookEndpoint

NEW_SECRET = "new_webhook_secret"  # noqa: S105 - the session key it is kept under
DELIVERIES_SHOWN = 50


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, f"webhooks/{template}", context, status=status)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "no-store"  # a page may hold a secret shown once
    return response


def _error(request: HttpRequest, exc: RegistryError) -> HttpResponse:
    return render(request, "marketplace/portal/error.html", {"message": exc.message}, status=exc.status)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        publisher = services.managed_publisher(user=request.user, slug=slug)
    except RegistryError as exc:
        return _error(request, exc)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.create_endpoint(
                publisher=publisher, actor=request.user, **form.cleaned_data
            )
        except addresses.InvalidWebhookUrl as exc:
            form.add_error("url", exc.message)
        except services.UnknownWebhookEvent as exc:
            form.add_error("events", exc.message)
        else:
            request.session[NEW_SECRET] = {"endpoint": endpoint.pk, "secret": secret}
            messages.success(request, f"Webhook endpoint {endpoint.url} registered.")
            return redirect("webhooks:endpoint", slug=slug, endpoint_id=endpoint.pk)
    context = {
        "publisher": publisher,
        "endpoints": publisher.webhook_endpoints.all(),
        "form": form,
        "events": EVENTS,
    }
    return _render(request, "endpoints.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    try:
        publisher = services.managed_publisher(user=request.user, slug=slug)
    except RegistryError as exc:
        return _error(request, exc)
    endpoint = WebhookEndpoint.objects.filter(publisher=publisher, pk=endpoint_id).first()
    if endpoint is None:
        return render(request, "marketplace/portal/error.html", {"message": "no such endpoint"}, status=404)
    action = request.POST.get("action")
    if action in {"enable", "disable"}:
        services.set_endpoint_active(endpoint=endpoint, active=action == "enable", actor=request.user)
        messages.success(request, f"Endpoint {action}d.")
        return redirect("webhooks:endpoint", slug=slug, endpoint_id=endpoint.pk)
    if action == "delete":
        services.delete_endpoint(endpoint=endpoint, actor=request.user)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("webhooks:endpoints", slug=slug)
    new = request.session.pop(NEW_SECRET, None) if request.method == "GET" else None
    context = {
        "publisher": publisher,
        "endpoint": endpoint,
        "secret": new["secret"] if new and new.get("endpoint") == endpoint.pk else None,  # shown once
        "deliveries": endpoint.deliveries.all()[:DELIVERIES_SHOWN],
        "events": EVENTS,
    }
    return _render(request, "endpoint.html", context)


@login_required
@require_POST
def replay(request: HttpRequest, slug: str, endpoint_id: int, delivery_id: int) -> HttpResponse:
    try:
        publisher = services.managed_publisher(user=request.user, slug=slug)
        delivery = (
            WebhookDelivery.objects.select_related("endpoint")
            .filter(endpoint__publisher=publisher, endpoint_id=endpoint_id, pk=delivery_id)
            .first()
        )
        if delivery is None:
            return render(
                request, "marketplace/portal/error.html", {"message": "no such delivery"}, status=404
            )
        new = services.replay_delivery(delivery=delivery, actor=request.user)
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {delivery.pk} queued again as delivery {new.pk}.")
    return redirect("webhooks:endpoint", slug=slug, endpoint_id=endpoint_id)
