"""The portal's namespaced page groups; reunite/urls.py mounts them."""

from django.urls import path

from cases.portal import accounts, apikeys, language, offline, otp

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

# At `accounts/`: e-mailed links that set a password (invitations and resets), for everyone.
account_urls = [
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        accounts.auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_sent.html"
        ),
        name="password_reset_done",
    ),
    path("reset/<uidb64>/<token>/", accounts.AccountLinkView.as_view(), name="account-link"),
]

# At `org/users/`: the organisation admin's accounts page.
user_urls = [
    path("", accounts.user_index, name="org-users"),
    path("<int:user_id>/", accounts.user_change, name="org-user-change"),
]

# At the site root: the installable web app for field capture (cases/portal/offline.py).
# The worker is served from the root so that its scope covers every portal page.
offline_urls = [
    path("sw.js", offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline.manifest, name="web-manifest"),
    path("offline/", offline.offline_page, name="offline"),
    path("offline/key/", offline.offline_key, name="offline-key"),
]

# At the site root: the language switcher on every page, and "Your account" (its language).
language_urls = [
    path("language/", language.language_choose, name="set-language"),
    path("account/", language.account_profile, name="account-profile"),
]
