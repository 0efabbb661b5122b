"""The portal's namespaced page groups; reunite/urls.py mounts them."""

from django.urls import path

from cases.portal import apikeys, otp

# At `accounts/2fa/`, namespace "otp".
otp_urls = [
    path("", otp.otp_setup, name="setup"),
    path("verify/", otp.otp_verify, name="verify"),
]

# At `org/api-keys/`, namespace "apikeys".
apikey_urls = [
    path("", apikeys.apikey_index, name="index"),
    path("<int:key_id>/rotate/", apikeys.apikey_rotate_view, name="rotate"),
    path("<int:key_id>/revoke/", apikeys.apikey_revoke_view, name="revoke"),
]
