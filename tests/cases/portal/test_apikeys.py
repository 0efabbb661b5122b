import re

import pytest

from cases.access.apikeys import apikey_create
from cases.models import ApiKey, User
from tests.factories import OrganisationFactory, UserFactory
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgadmin(org_ngo) -> User:
    return UserFactory(username="orgadmin", organisation=org_ngo, role=User.Role.ORG_ADMIN)


def test_org_admin_creates_a_key_shown_once_and_stored_as_a_hash(client, orgadmin, partner):
    force_login_verified(client, orgadmin)
    response = client.post("/org/api-keys/", {"user": partner.pk, "name": "field app"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    secret = re.search(
        r'data-testid="new-secret" readonly value="(rk_[^"]+)"', response.content.decode()
    )[1]
    key = ApiKey.objects.get()
    assert (key.user, key.name) == (partner, "field app")
    assert secret not in key.key_hash
    assert secret not in client.get("/org/api-keys/").content.decode()


def test_org_admin_rotates_and_revokes_their_organisations_key(client, orgadmin, partner):
    api_key, _ = apikey_create(user=partner, created_by=None)
    force_login_verified(client, orgadmin)
    rotated = client.post(f"/org/api-keys/{api_key.pk}/rotate/")
    assert b"new-secret" in rotated.content
    assert ApiKey.objects.count() == 2
    # Revoking asks first, on its own page; only the confirmed form revokes.
    ask = client.get(f"/org/api-keys/{api_key.pk}/revoke/")
    assert b"This cannot be undone" in ask.content
    client.post(f"/org/api-keys/{api_key.pk}/revoke/")
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    client.post(f"/org/api-keys/{api_key.pk}/revoke/", {"confirm": "revoke"})
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_org_admin_cannot_touch_another_organisations_keys(client, orgadmin):
    stranger = UserFactory(organisation=OrganisationFactory(), role=User.Role.PARTNER)
    api_key, _ = apikey_create(user=stranger, created_by=None)
    force_login_verified(client, orgadmin)
    assert (
        client.post(f"/org/api-keys/{api_key.pk}/revoke/", {"confirm": "revoke"}).status_code == 404
    )
    response = client.post("/org/api-keys/", {"user": stranger.pk})
    assert b"new-secret" not in response.content
    assert ApiKey.objects.count() == 1
    assert api_key.prefix not in client.get("/org/api-keys/").content.decode()


def test_caseworkers_and_partners_get_403_on_the_key_page(client, caseworker, partner):
    for person in (caseworker, partner):
        client.force_login(person)
        assert client.get("/org/api-keys/").status_code == 403
