"""Who acts: organisations, their users and roles, API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.validators import time_zone_valid


class Organisation(models.Model):
    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO")
        AGENCY = "agency", _("Child-protection agency")
        GUARDIAN_SUPPORT = "guardian_support", _("Guardian-support service")

    class Purpose(models.TextChoices):
        REUNITE_MISSING = "reunite_missing", _("Reuniting missing children")
        RESCUE_TRAFFICKING = "rescue_trafficking", _("Rescuing trafficking victims")

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    contact_email = models.EmailField(blank=True)
    # The named person another organisation reaches after reviewers confirm a possible match.
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # An operator pauses an organisation (e.g. after a surge): its users and keys stop working.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    # Per-organisation daily limits; empty means the REUNITE_DAILY_*_LIMIT setting applies.
    daily_report_limit = models.PositiveIntegerField(null=True, blank=True)
    daily_photo_limit = models.PositiveIntegerField(null=True, blank=True)
    # Where the organisation works: a date it enters may be today there, not later.
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[time_zone_valid],
        help_text="IANA name, e.g. Africa/Nairobi. Dates it enters may not be after today there.",
    )
    # Field capture (the installable web app): drafts saved on a device are wiped after
    # this many hours, sent or not; photos are downscaled on the device unless it asks
    # for the original size.
    offline_draft_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="Drafts left on a device are wiped after this many hours (1 to 168).",
    )
    photo_upload_original = models.BooleanField(
        default=False,
        help_text="Send photos at their original size instead of 1,600 px on the long side.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def is_active(self) -> bool:
        """Approved and not paused: only then may its users and keys act."""
        return self.approved_at is not None and self.paused_at is None


class User(AbstractUser):
    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")
        REVIEWER = "reviewer", _("Reviewer")
        # Reviews like a reviewer, and records the final decision on disputed candidates.
        SENIOR_REVIEWER = "senior_reviewer", _("Senior reviewer")
        ORG_ADMIN = "org_admin", _("Organisation admin")
        PARTNER = "partner", _("Partner (API)")
        OPERATOR = "operator", _("Operator")

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CASEWORKER)
    # The language of their pages and e-mails, a code from settings.LANGUAGES; empty follows
    # the browser's. No choices here: adding a language needs no migration.
    language = models.CharField(max_length=16, blank=True, default="")

    @property
    def mail_language(self) -> str:
        """The language their e-mails and notifications are written in: their profile's,
        else the site's (an e-mail has no browser to ask). Never the sender's."""
        if self.language in {code for code, _name in settings.LANGUAGES}:
            return self.language
        return settings.LANGUAGE_CODE

    class Meta:
        constraints = [
            # Everyone but an operator works for exactly one organisation.
            models.CheckConstraint(
                condition=Q(role="operator") | Q(organisation__isnull=False),
                name="user_has_organisation_unless_operator",
            ),
        ]


class ApiKey(models.Model):
    """An API key. Only its SHA-256 is stored; the key itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set on the old key when it is rotated: it keeps working until then, for a smooth switch.
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
