"""What is recorded about a child: missing-child cases, found reports and their photos."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models.access import Organisation
from cases.models.validators import (
    DATE_VALIDATORS,
    TEXT_VALIDATORS,
    birth_before,
    child_when_last_seen,
    dates_not_after_today,
    found_child_age,
    missing_child_age,
)

# Why a stored photo was rejected, by its `rejection_code`. `rejection_reason` keeps the
# English words written at the time (the API's field, logs); pages show these, translated
# when read (`Photo.rejection_words`).
REJECTION_REASONS = {
    "no_face": _(
        "No face found: use a photo where the child's face is clearly visible, facing the "
        "camera, and at least %(min_px)s pixels wide."
    ),
    "face_too_small": _(
        "The face is too small to compare: use a photo where the child's face is at least "
        "%(min_px)s pixels wide, or crop the photo closer to the face."
    ),
    "child_not_outlined": _(
        "Whoever checked this photo said the child is not among the faces found in it. Add a "
        "photo where the child's face is clear, or draw a box around the child's face."
    ),
    "processing_failed": _(
        "We could not process this photo after several tries. Upload it again, or send a "
        "different photo of the child."
    ),
}
# The prefix of a set-aside photo's stored reason; the rest is the caseworker's own words.
SET_ASIDE_PREFIX = "Set aside by a caseworker: "


def rejection_reason_words(code: str) -> str:
    """Why a photo was rejected, in words a person can act on, in the active language."""
    return str(REJECTION_REASONS[code]) % {"min_px": settings.MIN_FACE_PIXELS}


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class TracingEvidence(models.Model):
    """What tracers match on besides the face (matching/evidence/), on both sides, all
    optional. Several names are separated by commas, semicolons or new lines."""

    relatives_names = models.CharField(
        max_length=400,
        blank=True,
        help_text="Parents', siblings' or carers' names, separated by commas.",
    )
    home_place = models.CharField(
        max_length=200, blank=True, help_text="The child's home village, town or district."
    )
    languages = models.CharField(
        max_length=200, blank=True, help_text="Languages the child speaks, separated by commas."
    )

    class Meta:
        abstract = True


class MissingCase(TracingEvidence):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        POSSIBLE_MATCH = "possible_match", _("Possible match: verify in person")
        REUNITED = "reunited", _("Reunited")
        CLOSED = "closed", _("Closed")
        # A tombstone: biometric and personal data erased; kept only for the audit trail.
        ERASED = "erased", _("Erased")

    class ConsentMethod(models.TextChoices):
        IN_PERSON = "in_person", _("In person, signed form")
        PHONE = "phone", _("By phone, recorded by caseworker")
        WRITTEN = "written", _("In writing (letter or e-mail)")
        ONLINE = "online", _("Online form")

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
    date_of_birth = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    # Age in whole years when last seen, used when the date of birth is not known.
    age_min = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[missing_child_age]
    )
    age_max = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[missing_child_age]
    )
    last_seen_on = models.DateField(validators=DATE_VALIDATORS)
    last_seen_place = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=TEXT_VALIDATORS)
    distinguishing_marks = models.TextField(blank=True, validators=TEXT_VALIDATORS)

    consent_given_by = models.CharField(max_length=200)
    consent_relationship = models.CharField(max_length=100, blank=True)
    consent_given_at = models.DateTimeField(validators=DATE_VALIDATORS)
    consent_method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    consent_scope = models.TextField(
        blank=True,
        default="Matching against found-child reports for reunification only.",
        validators=TEXT_VALIDATORS,
    )
    # Whether the guardian agreed that a photo may leave Reunite with the case when it is
    # shared with another family-tracing system (PFIF export). Off unless they said so.
    consent_photo_sharing = models.BooleanField(
        "The guardian agreed that a photo may be shared with other family-tracing systems",
        default=False,
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
                violation_error_message=(
                    "Enter a date of birth, or both a youngest and an oldest age."
                ),
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=models.F("age_max")),
                name="case_age_range_ordered",
                violation_error_message="The youngest age must not be above the oldest age.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_ref"],
                condition=~Q(external_ref=""),
                name="case_external_ref_unique_per_org",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        if not self.reference:
            self.reference = f"C-{uuid.uuid4().hex[:10].upper()}"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.organisation_id is not None:
            dates_not_after_today(
                record=self,
                fields=("date_of_birth", "last_seen_on", "consent_given_at"),
                time_zone=self.organisation.time_zone,
            )
        birth_before(
            date_of_birth=self.date_of_birth,
            later=self.last_seen_on,
            field="last_seen_on",
            what=gettext("last-seen date"),
        )
        child_when_last_seen(date_of_birth=self.date_of_birth, last_seen_on=self.last_seen_on)
        if self.pk and self.date_of_birth:
            earliest = (
                self.photos.filter(taken_on__isnull=False)
                .order_by("taken_on")
                .values_list("taken_on", flat=True)
                .first()
            )
            birth_before(
                date_of_birth=self.date_of_birth,
                later=earliest,
                field="date_of_birth",
                what=gettext("date a photo of this case was taken"),
            )


class FoundReport(TracingEvidence):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # A tombstone: biometric and personal data erased; kept only for the audit trail.
        ERASED = "erased", _("Erased")

    class LegalBasis(models.TextChoices):
        # GDPR Art. 6(1)(d) / 9(2)(c): protecting the vital interests of the child.
        VITAL_INTERESTS = "vital_interests", _("Vital interests of the child")
        # Art. 6(1)(e) / 9(2)(g): a task in the public interest (e.g. a statutory agency).
        PUBLIC_TASK = "public_task", _("Public task / substantial public interest")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
        CONSENT = "consent", _("Consent of the child's guardian")

    reference = models.CharField(max_length=32, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="found_reports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_created"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    external_ref = models.CharField(max_length=100)
    found_on = models.DateField(validators=DATE_VALIDATORS)
    found_place = models.CharField(max_length=200)
    estimated_age_min = models.PositiveSmallIntegerField(validators=[found_child_age])
    estimated_age_max = models.PositiveSmallIntegerField(validators=[found_child_age])
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    # What the child or the finder can tell, all optional and compared with cases by
    # matching/evidence/ (never searched as free text). Several names are separated by
    # commas, semicolons or new lines.
    child_names = models.CharField(
        max_length=200,
        blank=True,
        help_text="Names or nicknames the child gives, separated by commas.",
    )
    distinguishing_marks = models.TextField(
        blank=True, validators=TEXT_VALIDATORS, help_text="Scars, birthmarks and the like."
    )
    notes = models.TextField(blank=True, validators=TEXT_VALIDATORS)
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
                violation_error_message="The youngest estimated age must not be above the oldest.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        if not self.reference:
            self.reference = f"F-{uuid.uuid4().hex[:10].upper()}"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.organisation_id is not None:
            dates_not_after_today(
                record=self, fields=("found_on",), time_zone=self.organisation.time_zone
            )


class Photo(models.Model):
    """A photo of a missing child (case) or of a found child (report)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        PROCESSING = "processing", _("Being processed")
        READY = "ready", _("Ready: being compared")
        REJECTED = "rejected", _("Rejected")
        NEEDS_FACE_SELECTION = "needs_face_selection", _("Several faces: pick the child's face")

    class Side(models.TextChoices):
        CASE = "case", _("Missing child")
        REPORT = "report", _("Found child")

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        # Made by a forensic artist: searched as an extra probe, never shown as a photo.
        AGE_PROGRESSED = "age_progressed", _("Age-progressed image")

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
    taken_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
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
                violation_error_message="A photo belongs to one case or one found report.",
            ),
        ]
        indexes = [models.Index(fields=["status", "processing_started_at"])]

    def __str__(self) -> str:
        return f"Photo {self.pk} ({self.status})"

    @property
    def rejection_words(self) -> str:
        """Why it was rejected, in the reader's language (the stored words are English)."""
        if self.rejection_code in REJECTION_REASONS:
            return rejection_reason_words(self.rejection_code)
        if self.rejection_code == "set_aside":
            return _("Set aside by a caseworker: %(reason)s") % {
                "reason": self.rejection_reason.removeprefix(SET_ASIDE_PREFIX)
            }
        return self.rejection_reason

    def clean(self) -> None:
        if self.organisation_id is not None:
            dates_not_after_today(
                record=self, fields=("taken_on",), time_zone=self.organisation.time_zone
            )
        if self.case_id is not None and self.case is not None:
            birth_before(
                date_of_birth=self.case.date_of_birth,
                later=self.taken_on,
                field="taken_on",
                what=gettext("date the photo was taken"),
            )

    @property
    def owner(self) -> MissingCase | FoundReport:
        # A check constraint gives every photo exactly one of the two.
        owner = self.case if self.side == self.Side.CASE else self.found_report
        assert owner is not None
        return owner
