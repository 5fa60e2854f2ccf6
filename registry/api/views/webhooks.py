"""An organisation's webhook endpoints, for its owners and maintainers: register (the signing
secret is in that answer only), list, read, enable or disable, delete; the delivery log of an
endpoint, and replaying a delivery. The rules live in `registry.webhooks.services`, shared with the
portal pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registry.errors import NotFound
from registry.models import Publisher
from registry.webhooks import services
from registry.webhooks.models import WebhookDelivery, WebhookEndpoint

from .. import serializers
from ..permissions import WriteScopeForChanges
from .base import ERRORS, FORBIDDEN, RegistryAPIView

DELIVERIES_LISTED = 50
NOT_MANAGED = {
    404: OpenApiResponse(
        serializers.ErrorResponseSerializer,
        description="No such organisation or endpoint, or you are not one of its owners or maintainers.",
    )
}


class WebhookWriteScope(WriteScopeForChanges):
    message = "This token has the read scope; changing webhooks needs a write token."


def _endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return serializers.WebhookEndpointSerializer(endpoint).data


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return serializers.WebhookDeliverySerializer(delivery).data


class _WebhookView(RegistryAPIView):
    permission_classes = [IsAuthenticated, WebhookWriteScope]

    def publisher(self, request: Request, slug: str) -> Publisher:
        return services.managed_publisher(user=request.user, slug=slug)

    def endpoint(self, request: Request, slug: str, endpoint_id: int) -> WebhookEndpoint:
        publisher = self.publisher(request, slug)
        endpoint = WebhookEndpoint.objects.filter(publisher=publisher, pk=endpoint_id).first()
        if endpoint is None:
            raise NotFound(f"organisation {slug} has no webhook endpoint {endpoint_id}")
        return endpoint


class WebhookListView(_WebhookView):
    @extend_schema(
        operation_id="list_webhooks",
        responses={200: serializers.WebhookEndpointSerializer(many=True), **ERRORS, **NOT_MANAGED},
    )
    def get(self, request: Request, slug: str) -> Response:
        """The organisation's webhook endpoints, oldest first."""
        return Response([_endpoint(e) for e in self.publisher(request, slug).webhook_endpoints.all()])

    @extend_schema(
        operation_id="create_webhook",
        request=serializers.WebhookCreateSerializer,
        responses={
            201: serializers.CreatedWebhookEndpointSerializer,
            **ERRORS,
            **FORBIDDEN,
            **NOT_MANAGED,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        """Register an endpoint for some events. The answer holds its signing secret, once."""
        publisher = self.publisher(request, slug)
        body = serializers.WebhookCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint, secret = services.create_endpoint(
            publisher=publisher, actor=request.user, **body.validated_data
        )
        return Response({**_endpoint(endpoint), "secret": secret}, status=201)


class WebhookDetailView(_WebhookView):
    @extend_schema(
        operation_id="get_webhook",
        responses={200: serializers.WebhookEndpointSerializer, **ERRORS, **NOT_MANAGED},
    )
    def get(self, request: Request, slug: str, endpoint_id: int) -> Response:
        """One endpoint: its events, and whether it is active (or why it was disabled)."""
        return Response(_endpoint(self.endpoint(request, slug, endpoint_id)))

    @extend_schema(
        operation_id="update_webhook",
        request=serializers.WebhookUpdateSerializer,
        responses={200: serializers.WebhookEndpointSerializer, **ERRORS, **FORBIDDEN, **NOT_MANAGED},
    )
    def patch(self, request: Request, slug: str, endpoint_id: int) -> Response:
        """Disable an endpoint, or enable it again (its failure count starts from zero)."""
        endpoint = self.endpoint(request, slug, endpoint_id)
        body = serializers.WebhookUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.set_endpoint_active(
            endpoint=endpoint, active=body.validated_data["is_active"], actor=request.user
        )
        return Response(_endpoint(endpoint))

    @extend_schema(
        operation_id="delete_webhook",
        responses={204: OpenApiResponse(description="Deleted."), **ERRORS, **FORBIDDEN, **NOT_MANAGED},
    )
    def delete(self, request: Request, slug: str, endpoint_id: int) -> Response:
        """Delete an endpoint and its delivery log."""
        services.delete_endpoint(endpoint=self.endpoint(request, slug, endpoint_id), actor=request.user)
        return Response(status=204)


class WebhookDeliveriesView(_WebhookView):
    @extend_schema(
        operation_id="list_webhook_deliveries",
        responses={200: serializers.WebhookDeliverySerializer(many=True), **ERRORS, **NOT_MANAGED},
    )
    def get(self, request: Request, slug: str, endpoint_id: int) -> Response:
        """The endpoint's latest deliveries (50), newest first, with their outcome."""
        endpoint = self.endpoint(request, slug, endpoint_id)
        return Response([_delivery(d) for d in endpoint.deliveries.all()[:DELIVERIES_LISTED]])


class WebhookReplayView(_WebhookView):
    @extend_schema(
        operation_id="replay_webhook_delivery",
        request=None,
        responses={202: serializers.WebhookDeliverySerializer, **ERRORS, **FORBIDDEN, **NOT_MANAGED},
    )
    def post(self, request: Request, slug: str, endpoint_id: int, delivery_id: int) -> Response:
        """Send a logged delivery again (same event id and body) as a new delivery, queued now."""
        endpoint = self.endpoint(request, slug, endpoint_id)
        delivery = endpoint.deliveries.filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound(f"endpoint {endpoint_id} has no delivery {delivery_id}")
        return Response(
            _delivery(services.replay_delivery(delivery=delivery, actor=request.user)), status=202
        )
