import datetime as dt

import factory
from django.utils import timezone

from cases.models import FoundReport, MissingCase, Organisation, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.NGO
    purpose = Organisation.Purpose.REUNITE_MISSING
    approved_at = factory.LazyFunction(timezone.now)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)
    role = User.Role.CASEWORKER
    password = factory.django.Password("a-long-test-password")


class MissingCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MissingCase

    organisation = factory.SelfAttribute("created_by.organisation")
    created_by = factory.SubFactory(UserFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    sex = "female"
    age_min = 8
    age_max = 10
    last_seen_on = dt.date(2025, 3, 1)
    last_seen_place = "Central station"
    consent_given_by = "Parent"
    consent_relationship = "Mother"
    consent_given_at = factory.LazyFunction(timezone.now)
    consent_method = MissingCase.ConsentMethod.IN_PERSON


class FoundReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FoundReport

    organisation = factory.SelfAttribute("created_by.organisation")
    created_by = factory.SubFactory(UserFactory, role=User.Role.PARTNER)
    external_ref = factory.Sequence(lambda n: f"EXT-{n}")
    found_on = dt.date(2025, 6, 1)
    found_place = "Riverside shelter"
    estimated_age_min = 8
    estimated_age_max = 12
    sex = "female"
