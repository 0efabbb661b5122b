"""OpenAPI helpers shared by every API view: the schema class and the error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from reunite.kernel.api.problems import PROBLEM_CONTENT_TYPE, ProblemOutput

_ERROR_TEXT = {
    400: "Invalid request (`validation_error`) or refused photo (`photo_corrupt`, ...).",
    401: "No key, or an unknown or revoked key.",
    403: "Your role may not do this.",
    404: "No such record in your organisation.",
    409: "The report was withdrawn or erased (`report_not_active`).",
    412: "`If-Match` names an older version: the record changed (`precondition_failed`).",
    413: "Photo or request too large (`photo_too_large`, `photo_too_many_pixels`).",
    415: "Photo type not accepted (`photo_unsupported_type`).",
    422: "Idempotency-Key reused with a different request (`idempotency_key_reused`).",
    429: "Too many requests (`throttled`) or daily limit (`daily_limit_reached`); see Retry-After.",
}


def problems(*codes: int) -> dict:
    """Schema entries for the error responses an operation can give (always 401, 403, 429)."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemOutput, description=_ERROR_TEXT[code])
        for code in sorted({401, 403, 429, *codes})
    }


def _takes_files(serializer: Any) -> bool:
    serializer = force_instance(serializer)
    if not isinstance(serializer, serializers.Serializer):
        return False
    for field in serializer.fields.values():
        child = getattr(field, "child", None)
        if isinstance(field, serializers.FileField) or isinstance(child, serializers.FileField):
            return True
    return False


class ReuniteAutoSchema(AutoSchema):
    """The project's schema rules, so generated clients work (issue 14).

    - Operation ids are `<path words>_<list|create|retrieve|partial_update|destroy>`
      without the `/api/v1/` prefix (`SCHEMA_PATH_PREFIX`), e.g. `found_reports_create`.
    - An operation whose body takes a file declares only `multipart/form-data`: declaring
      JSON too made generators send binary photos as JSON or form fields.
    - A GET answering a list is a list operation (`*_list`); views that paginate set
      `pagination_class`, and the schema shows the page (`count`, `next`, `results`).
    """

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            # An answer holds every field its serializer has, null or not: say so, so generated
            # clients need no "unset" checks. A model default made ModelSerializer fields
            # optional; only a field we declare optional (a problem's `errors`) may be absent.
            serializer = force_instance(serializer)
            declared = getattr(serializer, "_declared_fields", {})
            optional = {n for n, f in declared.items() if f._kwargs.get("required") is False}
            schema["required"] = sorted(set(schema["properties"]) - optional)
            if not schema["required"]:
                del schema["required"]
        return schema

    def map_parsers(self) -> list[str]:
        if self.method in ("POST", "PUT", "PATCH") and _takes_files(self.get_request_serializer()):
            return ["multipart/form-data"]
        return super().map_parsers()

    def _is_list_view(self, serializer: Any = None) -> bool:
        # The responses dict also holds (code, media type) keys for problems; the stock
        # heuristic took the smallest key as the main response, so lists looked like objects.
        if serializer is None:
            responses = self.get_response_serializers()
            if isinstance(responses, dict):
                serializer = responses.get(200, responses.get("200"))
        return super()._is_list_view(serializer)


def _enum_names(components: dict) -> set[str]:
    return {name for name, schema in components.items() if "enum" in schema}


def _opened(prop: dict, enums: set[str]) -> dict:
    """`prop` taking any string besides its enum's values (a nullable one keeps null)."""
    refs = [prop.get("$ref"), *(s.get("$ref") for s in prop.get("allOf", prop.get("oneOf", [])))]
    named = [r for r in refs if r and r.rsplit("/", 1)[1] in enums - {"NullEnum", "BlankEnum"}]
    if len(named) != 1:
        return prop
    opened = {k: v for k, v in prop.items() if k not in ("$ref", "allOf", "oneOf")}
    nullable = bool(opened.pop("nullable", False)) or any(
        r and r.endswith("/NullEnum") for r in refs
    )
    # `nullable` sits on the string, which has a type (a bare one beside anyOf is invalid).
    other: dict[str, Any] = {"type": "string", "nullable": True} if nullable else {"type": "string"}
    opened["anyOf"] = [{"$ref": named[0]}, other]
    return opened


def open_response_enums(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Make every enum in an answer open: its known values, or any other string.

    v1 may add values (docs/partner-api.md, Versioning); a client generated before one was
    added must still parse the answer, and generators refuse values outside a closed enum.
    Request bodies (the `...Request` components) keep closed enums: Reunite refuses unknown
    values there. Runs after drf-spectacular's own enum hook, which names the enums.
    """
    components = result.get("components", {}).get("schemas", {})
    enums = _enum_names(components)
    for name, schema in components.items():
        if name.endswith("Request") or name in enums:
            continue
        for field, prop in schema.get("properties", {}).items():
            if prop.get("type") == "array" and "items" in prop:
                prop["items"] = _opened(prop["items"], enums)
            else:
                schema["properties"][field] = _opened(prop, enums)
    # The null and blank enums only served the nullable enums opened above.
    used = _refs(result)
    for name in ("NullEnum", "BlankEnum"):
        if name in components and f"#/components/schemas/{name}" not in used:
            del components[name]
    return result


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


_RATELIMIT_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the window (the tightest throttle of this operation).",
    "RateLimit-Remaining": "Requests left in the window.",
    "RateLimit-Reset": "Seconds until a request is freed in the window.",
}


def document_rate_limit_headers(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Every API operation is throttled: its answers carry the RateLimit-* headers, and a 429
    also `Retry-After` (cases/access/throttling.py)."""
    headers = result.setdefault("components", {}).setdefault("headers", {})
    for name, description in _RATELIMIT_HEADERS.items():
        headers[name] = {"description": description, "schema": {"type": "integer"}}
    headers["Retry-After"] = {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in item.values():
            for code, answer in operation.get("responses", {}).items():
                if not (str(code).startswith("2") or str(code) == "429"):
                    continue
                documented = answer.setdefault("headers", {})
                names = [*_RATELIMIT_HEADERS, *(["Retry-After"] if str(code) == "429" else [])]
                for name in names:
                    documented[name] = {"$ref": f"#/components/headers/{name}"}
    return result
