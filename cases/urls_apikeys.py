from django.urls import path

from cases import views_apikeys

app_name = "apikeys"

urlpatterns = [
    path("", views_apikeys.apikey_index, name="index"),
    path("<int:key_id>/rotate/", views_apikeys.apikey_rotate_view, name="rotate"),
    path("<int:key_id>/revoke/", views_apikeys.apikey_revoke_view, name="revoke"),
]
