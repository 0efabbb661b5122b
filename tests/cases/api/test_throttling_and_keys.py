import io

import pytest
from django.core.management import call_command

from cases.access.apikeys import apikey_create, apikey_revoke, apikey_rotate
from cases.models import ApiKey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def low_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "3/min", "api_bulk": "1/min"},
    }


def test_a_client_over_its_rate_gets_429_with_retry_after(api_for, partner, low_rate):
    client = api_for(partner)
    statuses = [client.get("/api/v1/found-reports/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/found-reports/")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Each key has its own budget.
    assert api_for(partner).get("/api/v1/found-reports/").status_code == 200


def test_bulk_has_a_smaller_budget(api_for, partner, low_rate):
    client = api_for(partner)
    assert (
        client.post("/api/v1/found-reports/bulk/", {"reports": []}, format="json").status_code
        == 400
    )
    assert (
        client.post("/api/v1/found-reports/bulk/", {"reports": []}, format="json").status_code
        == 429
    )


def test_a_revoked_key_is_refused(client, partner):
    api_key, key = apikey_create(user=partner, created_by=None)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get("/api/v1/found-reports/", **auth).status_code == 200
    apikey_revoke(api_key=api_key, revoked_by=None)
    response = client.get("/api/v1/found-reports/", **auth)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_keys_are_stored_only_as_hashes_and_record_last_use(client, partner):
    api_key, key = apikey_create(user=partner, created_by=None)
    assert key not in str(ApiKey.objects.filter(pk=api_key.pk).values().get())
    client.get("/api/v1/found-reports/", HTTP_AUTHORIZATION=f"Token {key}")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def _status(client, key: str) -> int:
    return client.get("/api/v1/found-reports/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_rotation_gives_a_new_key_and_the_old_one_works_only_for_the_grace_period(client, partner):
    old, old_key = apikey_create(user=partner, created_by=None, name="field app")
    new, new_key = apikey_rotate(api_key=old, rotated_by=None, grace_hours=0)
    assert new.name == "field app" and new.pk != old.pk
    assert (_status(client, new_key), _status(client, old_key)) == (200, 401)

    _, newest_key = apikey_rotate(api_key=new, rotated_by=None, grace_hours=24)
    assert (_status(client, new_key), _status(client, newest_key)) == (200, 200)


def test_key_commands_create_list_rotate_and_revoke(partner):
    out = io.StringIO()
    call_command("create_api_token", "partner", "--name", "cms", stdout=out)
    assert out.getvalue().startswith("rk_")
    prefix = ApiKey.objects.get().prefix

    out = io.StringIO()
    call_command("api_keys", "list", stdout=out)
    assert prefix in out.getvalue() and "cms" in out.getvalue()

    out = io.StringIO()
    call_command("api_keys", "rotate", prefix, "--grace-hours", "0", stdout=out)
    assert out.getvalue().strip().startswith("rk_")
    assert ApiKey.objects.get(prefix=prefix).expires_at is not None

    call_command("api_keys", "revoke", prefix, stdout=io.StringIO())
    assert ApiKey.objects.get(prefix=prefix).revoked_at is not None
