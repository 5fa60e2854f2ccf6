"""The base of every v1 view: authentication, throttling, JSON only, one error shape.

A bearer token that is not valid answers 401 here (unlike the Hub routes, which ignore tokens not
issued by us: clients of this API send our tokens on purpose, and a dead one must be noticed).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from registry.authentication import BearerTokenAuthentication
from registry.hub_api import params  # the client's rule for repository ids, shared by both APIs
from registry.models import ModelRepository
from registry.services import access

from ..exceptions import registry_exception_handler
from ..serializers import ErrorResponseSerializer
from ..throttling import AnonymousRateThrottle, AuthenticatedRateThrottle

# The error answers every endpoint may give, for the schema.
ERRORS = {
    400: OpenApiResponse(ErrorResponseSerializer, description="Invalid query or body."),
    401: OpenApiResponse(ErrorResponseSerializer, description="Invalid, expired or revoked token."),
    404: OpenApiResponse(ErrorResponseSerializer, description="No such model or revision, or it is private."),
    429: OpenApiResponse(ErrorResponseSerializer, description="Too many requests; see Retry-After."),
}
# For changes, which a read token may not make.
FORBIDDEN = {403: OpenApiResponse(ErrorResponseSerializer, description="A read token cannot do this.")}


class RegistryAPIView(APIView):
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]  # reads are gated per repository by services.access
    throttle_classes = [AnonymousRateThrottle, AuthenticatedRateThrottle]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return registry_exception_handler


def repository_for(request: Request, namespace: str, name: str) -> ModelRepository:
    """The model if the caller may see it (private: 404); gated models' metadata stays readable."""
    return access.access_repository(repository_id=params.repo_id(namespace, name), user=request.user)


def next_page_url(request: Request, cursor: str | None) -> str | None:
    """This request's URL with `cursor` replaced: the next page, absolute."""
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
