from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Organisation(models.Model):
    class Kind(models.TextChoices):
        NGO = "ngo", "NGO"
        AGENCY = "agency", "Child-protection agency"
        GUARDIAN_SUPPORT = "guardian_support", "Guardian-support service"

    class Purpose(models.TextChoices):
        REUNITE_MISSING = "reunite_missing", "Reuniting missing children"
        RESCUE_TRAFFICKING = "rescue_trafficking", "Rescuing trafficking victims"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    contact_email = models.EmailField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # An operator pauses an organisation (e.g. after a surge): its users and keys stop working.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    # Per-organisation daily limits; empty means the REUNITE_DAILY_*_LIMIT setting applies.
    daily_report_limit = models.PositiveIntegerField(null=True, blank=True)
    daily_photo_limit = models.PositiveIntegerField(null=True, blank=True)
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
        CASEWORKER = "caseworker", "Caseworker"
        REVIEWER = "reviewer", "Reviewer"
        ORG_ADMIN = "org_admin", "Organisation admin"
        PARTNER = "partner", "Partner (API)"
        OPERATOR = "operator", "Operator"

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CASEWORKER)

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


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    UNKNOWN = "unknown", "Unknown"


class MissingCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        POSSIBLE_MATCH = "possible_match", "Possible match: contact family"
        REUNITED = "reunited", "Reunited"
        CLOSED = "closed", "Closed"
        # A tombstone: biometric and personal data erased; kept only for the audit trail.
        ERASED = "erased", "Erased"

    class ConsentMethod(models.TextChoices):
        IN_PERSON = "in_person", "In person, signed form"
        PHONE = "phone", "By phone, recorded by caseworker"
        WRITTEN = "written", "In writing (letter or e-mail)"
        ONLINE = "online", "Online form"

    reference = models.CharField(max_length=32, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_created"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100, blank=True)
    other_names = models.CharField(max_length=200, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(null=True, blank=True)
    # Age in whole years when last seen, used when the date of birth is not known.
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    last_seen_on = models.DateField()
    last_seen_place = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    distinguishing_marks = models.TextField(blank=True)

    consent_given_by = models.CharField(max_length=200)
    consent_relationship = models.CharField(max_length=100, blank=True)
    consent_given_at = models.DateTimeField()
    consent_method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    consent_scope = models.TextField(
        blank=True, default="Matching against found-child reports for reunification only."
    )
    # The case's id in the organisation's own system (API integrations); unique when set.
    external_ref = models.CharField(max_length=100, blank=True)

    # Set when the case is marked reunited or closed; retention counts from here.
    closed_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # A legal hold stops retention from erasing the case; the reason is required.
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    legal_hold_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=False)
                | Q(age_min__isnull=False, age_max__isnull=False)
                | Q(status="erased"),
                name="case_has_birth_date_or_age_range",
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=models.F("age_max")),
                name="case_age_range_ordered",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_ref"],
                condition=~Q(external_ref=""),
                name="case_external_ref_unique_per_org",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not self.reference:
            self.reference = f"C-{uuid.uuid4().hex[:10].upper()}"
        super().save(*args, **kwargs)


class FoundReport(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WITHDRAWN = "withdrawn", "Withdrawn"
        # A tombstone: biometric and personal data erased; kept only for the audit trail.
        ERASED = "erased", "Erased"

    class LegalBasis(models.TextChoices):
        # GDPR Art. 6(1)(d) / 9(2)(c): protecting the vital interests of the child.
        VITAL_INTERESTS = "vital_interests", "Vital interests of the child"
        # Art. 6(1)(e) / 9(2)(g): a task in the public interest (e.g. a statutory agency).
        PUBLIC_TASK = "public_task", "Public task / substantial public interest"
        LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
        CONSENT = "consent", "Consent of the child's guardian"

    reference = models.CharField(max_length=32, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="found_reports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_created"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    external_ref = models.CharField(max_length=100)
    found_on = models.DateField()
    found_place = models.CharField(max_length=200)
    estimated_age_min = models.PositiveSmallIntegerField()
    estimated_age_max = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    notes = models.TextField(blank=True)
    legal_basis = models.CharField(
        max_length=32, choices=LegalBasis.choices, default=LegalBasis.VITAL_INTERESTS
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Retries of the same report never create a second one.
            models.UniqueConstraint(
                fields=["organisation", "external_ref"], name="report_external_ref_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(estimated_age_min__lte=models.F("estimated_age_max")),
                name="report_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not self.reference:
            self.reference = f"F-{uuid.uuid4().hex[:10].upper()}"
        super().save(*args, **kwargs)


class Photo(models.Model):
    """A photo of a missing child (case) or of a found child (report)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be processed"
        PROCESSING = "processing", "Being processed"
        READY = "ready", "Ready: being compared"
        REJECTED = "rejected", "Rejected"
        NEEDS_FACE_SELECTION = "needs_face_selection", "Several faces: pick the child's face"

    class Side(models.TextChoices):
        CASE = "case", "Missing child"
        REPORT = "report", "Found child"

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        # Made by a forensic artist: searched as an extra probe, never shown as a photo.
        AGE_PROGRESSED = "age_progressed", "Age-progressed image"

    side = models.CharField(max_length=8, choices=Side.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    case = models.ForeignKey(
        MissingCase, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    found_report = models.ForeignKey(
        FoundReport, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="photos_uploaded"
    )
    # Path of the normalised, metadata-free copy, relative to MEDIA_ROOT.
    file = models.CharField(max_length=200, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_filename = models.CharField(max_length=200, blank=True)
    taken_on = models.DateField(null=True, blank=True)
    age_in_photo = models.PositiveSmallIntegerField(null=True, blank=True)

    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    rejection_code = models.CharField(max_length=32, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(side="case", case__isnull=False, found_report__isnull=True)
                    | Q(side="report", case__isnull=True, found_report__isnull=False)
                ),
                name="photo_belongs_to_one_side",
            ),
        ]
        indexes = [models.Index(fields=["status", "processing_started_at"])]

    def __str__(self) -> str:
        return f"Photo {self.pk} ({self.status})"

    @property
    def owner(self) -> MissingCase | FoundReport:
        return self.case if self.side == self.Side.CASE else self.found_report  # type: ignore[return-value]


class AuditEvent(models.Model):
    """An append-only, hash-chained record of who did what to which object, and when."""

    sequence = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["organisation", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """A message on a user's dashboard (and usually an e-mail too)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


# --- Partner API ---------------------------------------------------------------------------


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` an organisation sent with a create request, and what it created.

    The unique constraint settles two concurrent requests with the same key: the second
    transaction fails and answers with the first one's result.
    """

    class Scope(models.TextChoices):
        REPORT = "report", "Found report"
        CASE = "case", "Missing case"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    key = models.CharField(max_length=200)
    # SHA-256 of the request's fields and files: the same key with another body is refused.
    fingerprint = models.CharField(max_length=64)
    found_report = models.ForeignKey(
        FoundReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        MissingCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scope", "key"], name="idempotency_key_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ReportOutcome(models.Model):
    """The coarse outcome last told to the report's organisation; webhooks fire on change."""

    found_report = models.OneToOneField(
        FoundReport, on_delete=models.CASCADE, primary_key=True, related_name="notified_outcome"
    )
    outcome = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.found_report_id}: {self.outcome}"


class WebhookEndpoint(models.Model):
    """A URL an organisation registered to be told when a report's outcome changes."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # The HMAC needs the secret itself, so it is encrypted (cases.storage), not hashed.
    # Shown to the partner once, at registration.
    secret = models.CharField(max_length=400)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, and what happened when we tried to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
