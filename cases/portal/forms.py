"""Portal forms. They validate input; the services do the work."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from cases.audit.events import AUDIT_EVENTS
from cases.models import FoundReport, MissingCase, Photo
from cases.models.validators import DATE_VALIDATORS
from cases.records.ages import age_range_on
from cases.records.reports import REPORT_EDITABLE_FIELDS
from cases.records.services import CASE_EDITABLE_FIELDS
from matching import interfaces as matching

# A date input reads and writes only ISO dates; the locale's "10/04/2025" would show blank.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MinuteDateTimeField(forms.DateTimeField):
    """A date-time edited to the minute: a saved value with seconds (from the API) is not
    changed by saving its form untouched."""

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            value = self.to_python(data)
        except forms.ValidationError:
            return True
        if initial is None or value is None:
            return (initial is None) != (value is None)
        return initial.replace(second=0, microsecond=0) != value.replace(second=0, microsecond=0)


# What tracers match on besides the face: optional, compared with the other side's records
# by matching and never shown to reviewers as names.
EVIDENCE_HELP = {
    "child_names": _("Optional. Several names or nicknames: separate them with commas."),
    "relatives_names": _("Optional. Separate several names with commas."),
    "home_place": _("Optional."),
    "languages": _("Optional. Separate several languages with commas."),
    "distinguishing_marks": _("Optional. Scars, birthmarks and the like."),
}


class CaseForm(forms.ModelForm):
    consent_given_at = MinuteDateTimeField(widget=DATETIME, label=_("Consent given on"))

    class Meta:
        model = MissingCase
        fields = list(CASE_EDITABLE_FIELDS)
        widgets = {
            "date_of_birth": DATE,
            "last_seen_on": DATE,
            "consent_given_at": DATETIME,
            "description": forms.Textarea(attrs={"rows": 3}),
            "distinguishing_marks": forms.Textarea(attrs={"rows": 2}),
            "consent_scope": forms.Textarea(attrs={"rows": 2}),
            "relatives_names": forms.TextInput(),
        }
        # Every label here, not from the model's field names: they are translated.
        labels = {
            "given_name": _("Given name"),
            "family_name": _("Family name"),
            "other_names": _("Other names"),
            "sex": _("Sex"),
            "date_of_birth": _("Date of birth"),
            "age_min": _("Youngest possible age when last seen"),
            "age_max": _("Oldest possible age when last seen"),
            "last_seen_on": _("Last seen on"),
            "last_seen_place": _("Last seen place"),
            "description": _("Description"),
            "distinguishing_marks": _("Distinguishing marks"),
            "relatives_names": _("Parents', siblings' or carers' names"),
            "home_place": _("Home village, town or district"),
            "languages": _("Languages the child speaks"),
            "consent_given_by": _("Consent given by"),
            "consent_relationship": _("Their relationship to the child"),
            "consent_given_at": _("Consent given on"),
            "consent_method": _("How consent was given"),
            "consent_scope": _("Consent scope"),
            "consent_photo_sharing": _(
                "The guardian agreed that a photo may be shared with other family-tracing systems"
            ),
        }
        help_texts = {
            "date_of_birth": _("Leave empty if not known, and give an age range instead."),
            **EVIDENCE_HELP,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # The model's English default, offered in the caseworker's language: what is
            # saved is the consent as it was recorded.
            self.initial["consent_scope"] = _(
                "Matching against found-child reports for reunification only."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("date_of_birth") and (
            data.get("age_min") is None or data.get("age_max") is None
        ):
            self.add_error("date_of_birth", _("Give the date of birth, or an age range below."))
        return data


class ReportForm(forms.ModelForm):
    class Meta:
        model = FoundReport
        # The portal leaves the legal basis at its default (vital interests).
        fields = ["external_ref", *(f for f in REPORT_EDITABLE_FIELDS if f != "legal_basis")]
        widgets = {
            "found_on": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "relatives_names": forms.TextInput(),
            "distinguishing_marks": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "external_ref": _("Your reference for this report"),
            "found_on": _("Found on"),
            "found_place": _("Found place"),
            "estimated_age_min": _("Estimated age (from)"),
            "estimated_age_max": _("Estimated age (to)"),
            "sex": _("Sex"),
            "child_names": _("Names or nicknames the child gives"),
            "relatives_names": _("Parents', siblings' or carers' names"),
            "home_place": _("Home village, town or district"),
            "languages": _("Languages the child speaks"),
            "distinguishing_marks": _("Distinguishing marks"),
            "notes": _("Notes"),
        }
        help_texts = EVIDENCE_HELP

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("estimated_age_min"), data.get("estimated_age_max")
        if low is not None and high is not None and low > high:
            self.add_error("estimated_age_max", _("Must be at least the youngest estimated age."))
        return data


class ReportEditForm(ReportForm):
    """The same fields, less the reference: it is set once, so retries find the report."""

    class Meta(ReportForm.Meta):
        fields = [f for f in REPORT_EDITABLE_FIELDS if f != "legal_basis"]


class PhotoMetaForm(forms.Form):
    """One chosen photo's details, sent as repeated `photo_<field>` values in file order."""

    taken_on = forms.DateField(
        required=False, widget=DATE, label=_("Date taken"), validators=DATE_VALIDATORS
    )
    age_in_photo = forms.IntegerField(
        required=False, min_value=0, max_value=25, label=_("Child's age in the photo")
    )
    kind = forms.ChoiceField(
        choices=Photo.Kind.choices,
        initial=Photo.Kind.PHOTO,
        required=False,
        label=_("Type of image"),
    )


def photo_help() -> str:
    """The upload help, from the same settings the checks and the face detector use."""
    from django.utils.translation import gettext

    return gettext(
        "JPEG, PNG or WebP, at most %(megabytes)s MB each and %(count)s at a time. The "
        "child's face must be clearly visible and at least %(pixels)s pixels wide."
    ) % {
        "megabytes": settings.PHOTO_MAX_BYTES // 1_000_000,
        "count": settings.PHOTOS_PER_REQUEST,
        "pixels": settings.MIN_FACE_PIXELS,
    }


class FacePickForm(forms.Form):
    """The face picker: `face-<id>`, `draw` (with a box in the photo's pixels) or `reject`.
    `face_id` alone is still understood (a detected face)."""

    choice = forms.CharField(required=False)
    face_id = forms.IntegerField(required=False)
    x = forms.IntegerField(required=False, min_value=0, label=_("Left edge (pixels)"))
    y = forms.IntegerField(required=False, min_value=0, label=_("Top edge (pixels)"))
    w = forms.IntegerField(required=False, min_value=1, label=_("Width (pixels)"))
    h = forms.IntegerField(required=False, min_value=1, label=_("Height (pixels)"))
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("choice") and data.get("face_id") is not None:
            data["choice"] = f"face-{data['face_id']}"
        if not data.get("choice"):
            raise forms.ValidationError(_("Choose one of the outlined faces."))
        return data

    def box(self) -> dict[str, int] | None:
        values = {k: self.cleaned_data.get(k) for k in ("x", "y", "w", "h")}
        if any(v is None for v in values.values()):
            return None
        return {k: int(v) for k, v in values.items() if v is not None}


def _descending_words(label: object) -> str:
    return _("%s (descending)") % label


class _SortFilter(django_filters.OrderingFilter):
    # The same words as django-filter's own, in our catalogue: every language has them.
    descending_fmt = _("%s (descending)")

    def build_choices(self, fields: Any, labels: Any) -> list:
        """django-filter's choices, with "… (descending)" put together when the page is
        shown (its own does it once, at import, in the default language)."""
        choices = super().build_choices(fields, labels)
        return [
            (value, lazy(_descending_words, str)(choices[index - 1][1]))
            if value.startswith("-") and value[1:] == choices[index - 1][0]
            else (value, label)
            for index, (value, label) in enumerate(choices)
        ]


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Name or reference"))
    status = django_filters.ChoiceFilter(choices=MissingCase.Status.choices, label=_("Status"))
    last_seen_from = django_filters.DateFilter(
        field_name="last_seen_on", lookup_expr="gte", label=_("Last seen from"), widget=DATE
    )
    last_seen_to = django_filters.DateFilter(
        field_name="last_seen_on", lookup_expr="lte", label=_("Last seen until"), widget=DATE
    )
    age = django_filters.NumberFilter(method="filter_age", label=_("Age when last seen"))
    sort = _SortFilter(
        fields=(
            ("created_at", "created"),
            ("last_seen_on", "last_seen"),
            ("family_name", "name"),
            ("reference", "reference"),
        ),
        field_labels={
            "created_at": _("Created"),
            "last_seen_on": _("Last seen"),
            "family_name": _("Name"),
            "reference": _("Reference"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = MissingCase
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        """Every word must be in a name or the reference: "amina testcase" finds Amina Testcase."""
        for word in value.split():
            queryset = queryset.filter(
                Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(other_names__icontains=word)
                | Q(reference__icontains=word)
                | Q(external_ref__icontains=word)
            )
        return queryset

    def filter_age(self, queryset, name, value):
        # Ages come from a birth date or a range, so the match is worked out per case.
        age = int(value)
        ids = []
        rows = queryset.values_list("id", "date_of_birth", "age_min", "age_max", "last_seen_on")
        for case_id, dob, low, high, last_seen in rows:
            ages = age_range_on(
                date_of_birth=dob, age_min=low, age_max=high, known_on=last_seen, on=last_seen
            )
            if ages and ages[0] <= age <= ages[1]:
                ids.append(case_id)
        return queryset.filter(id__in=ids)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, label=_("What happened"))
    actor = forms.CharField(required=False, label=_("User"))
    object_type = forms.ChoiceField(
        required=False,
        label=_("Kind of record"),
        choices=[
            ("", _("Any")),
            ("cases.missingcase", _("Case")),
            ("cases.foundreport", _("Found report")),
            ("cases.photo", _("Photo")),
            (matching.CANDIDATE_OBJECT_TYPE, _("Possible match")),
            ("cases.apikey", _("API key")),
            ("cases.user", _("Account")),
        ],
    )
    object_id = forms.CharField(required=False, label=_("Record number"))
    since = forms.DateField(required=False, widget=DATE, label=_("From"))
    until = forms.DateField(required=False, widget=DATE, label=_("Until (exclusive)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events = sorted(AUDIT_EVENTS.values(), key=lambda e: str(e.words))
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Anything")), *((e.name, e.words) for e in events)]

    def filters(self) -> dict:
        import datetime as dt

        data = {k: v for k, v in self.cleaned_data.items() if v}
        for key in ("since", "until"):
            if key in data:
                data[key] = dt.datetime.combine(data[key], dt.time.min, tzinfo=dt.UTC)
        return data
