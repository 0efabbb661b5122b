"""Response shapes both apps' APIs share."""

from __future__ import annotations

from rest_framework import serializers


class ContactOutput(serializers.Serializer):
    organisation = serializers.CharField()
    name = serializers.CharField(allow_blank=True, help_text="The organisation's named contact.")
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
