"""OpenAPI descriptions drf-spectacular cannot infer: our bearer tokens."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "registry.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A registry API token (`slm_...`), from `manage.py create_token` or POST /api/v1/tokens."
            ),
        }
