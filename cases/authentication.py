from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cases.apikeys import apikey_authenticate
from cases.models import User


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`, checked against the stored hash."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly: Authorization: Token <key>.")
        api_key = apikey_authenticate(key=header[1].decode(errors="replace"))
        if api_key is None or not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("This API key is unknown or revoked.")
        return api_key.user, None

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "cases.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; keys come from `manage.py create_api_token`.",
        }
