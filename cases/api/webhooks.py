"""Webhook endpoints a filing organisation registers, and their delivery log."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.access.permissions import Action, action_require
from cases.models import User, WebhookDelivery, WebhookEndpoint
from cases.partners import webhooks
from reunite.kernel.api.problems import PROBLEM_CONTENT_TYPE, ProblemOutput
from reunite.kernel.api.responses import ETAG, LOCATION, created_response, resource_response

_ERRORS = {(code, PROBLEM_CONTENT_TYPE): ProblemOutput for code in (400, 401, 403, 404, 429)}


def _endpoint_get(*, user: User, endpoint_id: int) -> WebhookEndpoint:
    action_require(user=user, action=Action.WEBHOOK_MANAGE)
    endpoint = WebhookEndpoint.objects.filter(
        pk=endpoint_id, organisation=user.organisation
    ).first()
    if endpoint is None:
        raise Http404("No such webhook.")
    return endpoint


class WebhookOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "created_at", "disabled_at"]


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.CharField(
        help_text="Shown only now. Verify each delivery's Reunite-Signature with it."
    )

    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]


class WebhookInput(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="An https:// URL on the internet.")


class DeliveryOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]


class WebhookListCreateApi(APIView):
    @extend_schema(
        summary="Your organisation's webhook endpoints",
        description="Without their signing secrets, which are shown only at registration.",
        responses={200: WebhookOutput(many=True), **_ERRORS},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        action_require(user=request.user, action=Action.WEBHOOK_MANAGE)
        endpoints = WebhookEndpoint.objects.filter(organisation=request.user.organisation)
        return Response(WebhookOutput(endpoints, many=True).data)

    @extend_schema(
        summary="Register a URL for report outcome events",
        description="Events: `report.outcome_changed`. The response holds the signing secret, "
        "shown only this once.",
        request=WebhookInput,
        parameters=[LOCATION],
        responses={201: WebhookCreatedOutput, **_ERRORS},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        action_require(user=request.user, action=Action.WEBHOOK_MANAGE)
        serializer = WebhookInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhooks.webhook_endpoint_create(
            user=request.user, url=serializer.validated_data["url"]
        )
        body = {**WebhookOutput(endpoint).data, "secret": secret}
        return created_response(
            body, location=reverse("api:webhook-detail", kwargs={"endpoint_id": endpoint.pk})
        )


class WebhookDetailApi(APIView):
    @extend_schema(
        summary="A webhook endpoint",
        description="One endpoint of your organisation, without its signing secret.",
        parameters=[ETAG],
        responses={200: WebhookOutput, **_ERRORS},
    )
    def get(self, request: AuthenticatedRequest, endpoint_id: int) -> Response:
        endpoint = _endpoint_get(user=request.user, endpoint_id=endpoint_id)
        return resource_response(WebhookOutput(endpoint).data)

    @extend_schema(
        summary="Stop sending events to this endpoint",
        description="No event is sent to this URL any more.",
        responses={204: None, **_ERRORS},
    )
    def delete(self, request: AuthenticatedRequest, endpoint_id: int) -> Response:
        endpoint = _endpoint_get(user=request.user, endpoint_id=endpoint_id)
        webhooks.webhook_endpoint_disable(user=request.user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(APIView):
    # Typed as a page of deliveries in the schema (`webhooks_deliveries_list`).
    pagination_class = PageNumberPagination

    @extend_schema(
        summary="The delivery log of an endpoint, newest first",
        description="Each event sent: its attempts, the last status code or error, and when the "
        "next attempt is due.",
        responses={200: DeliveryOutput(many=True), **_ERRORS},
    )
    def get(self, request: AuthenticatedRequest, endpoint_id: int) -> Response:
        endpoint = _endpoint_get(user=request.user, endpoint_id=endpoint_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(endpoint.deliveries.all(), request, view=self)
        return paginator.get_paginated_response(DeliveryOutput(page, many=True).data)
