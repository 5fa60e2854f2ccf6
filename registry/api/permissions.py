"""Token scopes: a read token reads; changing anything with a token needs a write token."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from registry.models import ApiToken


class WriteScopeForChanges(BasePermission):
    """Unsafe methods with a bearer token need its `write` scope (a browser session, with its CSRF
    check, may change what its user may change)."""

    message = "This token has the read scope; creating or revoking tokens needs a write token."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.scope == ApiToken.Scope.WRITE
