from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cases.access.apikeys import SECOND_FACTOR_MESSAGE, apikey_authenticate
from cases.access.permissions import Action, role_allows
from cases.models import ApiKey, User


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`, checked against the stored hash."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly: Authorization: Token <key>.")
        api_key = apikey_authenticate(key=header[1].decode(errors="replace"))
        if api_key is None or not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("This API key is unknown or revoked.")
        if not role_allows(api_key.user.role, Action.APIKEY_HOLD):
            raise exceptions.AuthenticationFailed(SECOND_FACTOR_MESSAGE)
        # request.auth is the key: throttles count per key.
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "cases.access.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`. An organisation admin creates keys in the portal "
            "(Organisation > API keys), or an operator with `manage.py create_api_token`.",
        }
