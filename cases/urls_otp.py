"""Second-factor pages; the project includes these at `accounts/2fa/`."""

from django.urls import path

from cases import views_otp

app_name = "otp"

urlpatterns = [
    path("", views_otp.otp_setup, name="setup"),
    path("verify/", views_otp.otp_verify, name="verify"),
]
