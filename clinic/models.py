"""Core models every app shares: the patient and the staff profile."""

import re
from datetime import date
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, validate_email
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from clinic.audit import audited
from clinic.fields import range_check


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value or "")


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Prefer not to say"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    POST = "post", "Post"


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name; use one like America/Chicago.")


def email_list(value: str) -> list[str]:
    return [address.strip() for address in (value or "").split(",") if address.strip()]


def validate_email_list(value: str) -> None:
    for address in email_list(value):
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"“{address}” is not an email address; separate addresses with commas.") from None


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Location(models.Model):
    """One clinic of a group (docs/architecture.md, "Locations"). A clinic with one location never sees it named:
    the data migration made the first from the clinic's settings."""

    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(
        max_length=200,
        blank=True,
        help_text="As printed on letters, superbills and patients' emails; blank: the clinic's (CLINIC_ADDRESS).",
    )
    phone = models.CharField(max_length=30, blank=True, help_text="Blank: the clinic's (CLINIC_PHONE).")
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="The zone of the clinic's clock, for example America/Chicago: opening hours and visit times "
        "are in it.",
    )
    beds = models.PositiveSmallIntegerField(
        "treatment beds",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
        help_text="How many patients this location can treat at the same time.",
    )
    alert_emails = models.CharField(
        "urgent alert addresses",
        max_length=500,
        blank=True,
        validators=[validate_email_list],
        help_text="Who is told at once of a red flag or a self-harm answer of this location's patients, separated "
        "by commas (an on-call phone's email gateway, the clinic's lead). Blank: the clinic's (CLINIC_ALERT_EMAILS).",
    )

    class Meta:
        ordering = ["name"]
        permissions = [("view_all_locations", "Can switch to every location's patients")]
        constraints = [
            range_check("beds", 1, 40),
            models.CheckConstraint(condition=~Q(name=""), name="location_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


def default_location_id() -> int:
    """The location a row gets when nothing names one: the clinic's first (a one-location clinic's only one)."""
    found = Location.objects.order_by("pk").values_list("pk", flat=True).first()
    if found is None:
        found = Location.objects.create(name=settings.CLINIC_NAME or "Main clinic").pk
    return found


class LocatedQuerySet(models.QuerySet):
    """Rows that belong to a location, directly or through their patient. `visible_to(user)` is the one filter
    every list, panel and access helper applies (clinic.locations says which locations a user sees)."""

    location_paths: tuple[str, ...] = ("patient__location",)

    def visible_to(self, user):
        """None without the permission to view patients (their records go with them); else the rows of the
        locations the user sees."""
        from clinic.locations import scope_of  # local: the scope reads Location, defined above

        if not user.has_perm("clinic.view_patient"):
            return self.none()
        ids = scope_of(user).visible_ids
        if ids is None:
            return self.all()
        condition = Q()
        for path in self.location_paths:
            condition |= Q(**{f"{path}__in": ids})
        return self.filter(condition)


class PatientQuerySet(LocatedQuerySet):
    location_paths = ("location",)

    def search(self, query: str) -> "PatientQuerySet":
        """Match a free-text query against name, chart number, date of birth or phone.

        Everything runs in SQL: every word must match the start of a given or family name, a
        date matches the date of birth, a run of digits matches the chart number or the phone.
        """
        from clinic.search import fold, parse_query  # local: keeps the parser free of model imports

        parsed = parse_query(query)
        qs = self
        if parsed.date_of_birth:
            qs = qs.filter(date_of_birth=parsed.date_of_birth)
        for digits in parsed.numbers:
            qs = qs.filter(
                Q(chart_number__icontains=digits) | Q(phone_digits__contains=digits)
                if len(digits) >= 3
                else Q(chart_number__icontains=digits)
            )
        # Names are compared folded (clinic.search.fold): "bergstrom" finds Bergström, "obrien" O'Brien.
        # Each part of a word with a hyphen must begin the name ("quennell-m" finds Quennell-Marsh).
        every_word = Q()
        for word in parsed.words:
            key = fold(word)
            names = Q(chart_number__iexact=word)
            if key:
                names |= Q(family_key__startswith=key) | Q(given_key__startswith=key)
            every_word &= names
        if len(parsed.words) > 1:
            # Or the words together begin one name: a name of two words ("thi lan" for Thị Lan, "muller lud" for
            # Müller-Lüdenscheidt), or one heard with a space ("o brien" for O'Brien, "mc donald" for McDonald).
            phrase = " ".join(filter(None, map(fold, parsed.words)))
            for key in sorted({phrase, phrase.replace(" ", "")} - {""}):
                every_word |= Q(family_key__startswith=key) | Q(given_key__startswith=key)
        return qs.filter(every_word)


class Patient(models.Model):
    chart_number = models.CharField(
        max_length=12,
        unique=True,
        editable=False,
        help_text="Assigned at registration; quoted on every page and printout.",
    )
    given_name = models.CharField("given name", max_length=100)
    family_name = models.CharField("family name", max_length=100)
    date_of_birth = models.DateField("date of birth")
    sex = models.CharField(max_length=10, choices=Sex.choices)
    phone = models.CharField(max_length=30, blank=True)
    phone_digits = models.CharField(max_length=30, blank=True, editable=False)
    # The names as the search compares them (clinic.search.fold), kept by save() like phone_digits.
    family_key = models.CharField(max_length=100, blank=True, editable=False)
    given_key = models.CharField(max_length=100, blank=True, editable=False)
    email = models.EmailField(blank=True)
    address_line = models.CharField("street address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state", max_length=50, blank=True)
    postal_code = models.CharField(
        "ZIP code",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{5}(-\d{4})?$", "Enter a ZIP code like 62701 or 62701-1234.")],
    )
    emergency_contact_name = models.CharField("emergency contact", max_length=150, blank=True)
    emergency_contact_phone = models.CharField("emergency contact phone", max_length=30, blank=True)
    emergency_contact_relationship = models.CharField("relationship", max_length=50, blank=True)
    preferred_contact = models.CharField(
        "preferred contact method", max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    is_active = models.BooleanField("active", default=True)
    # The location whose staff look after the patient; a move keeps every record (they follow the patient).
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="patients",
        verbose_name="home location",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(Lower("family_name"), Lower("given_name"), name="patient_name_idx"),
            models.Index(Lower("given_name"), name="patient_given_name_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["phone_digits"], name="patient_phone_idx"),
        ]
        constraints = [
            # A chart number is what staff quote on the phone; it must never be blank.
            models.CheckConstraint(condition=~Q(chart_number=""), name="patient_chart_number_not_blank"),
        ]
        permissions = [
            # The patient's right of access: their whole record, produced on request (records.views).
            ("disclose_record", "Can produce a patient's whole record for them (right of access)"),
            # The patient's record as a FHIR Bundle (records.views), and the whole clinic as bulk NDJSON.
            ("export_fhir", "Can export a patient's record as FHIR"),
            ("export_fhir_bulk", "Can export every patient's record as FHIR (bulk)"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.chart_number})"

    def save(self, *args, **kwargs):
        from clinic.search import fold

        if self.location_id is None:  # a one-location clinic's form never asks
            self.location_id = default_location_id()
        self.phone_digits = digits_only(self.phone)
        self.family_key, self.given_key = fold(self.family_name), fold(self.given_name)
        fields = kwargs.get("update_fields")
        if fields is not None:
            derived = {"phone": "phone_digits", "family_name": "family_key", "given_name": "given_key"}
            kwargs["update_fields"] = {*fields, *(key for name, key in derived.items() if name in fields)}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("pages:patient-detail", args=[self.pk])

    def get_additional_data(self) -> dict:
        # Stored with each audit entry so the manager can filter the trail by patient.
        return {"patient_id": self.pk, "chart_number": self.chart_number}

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, on: date) -> int:
        dob = self.date_of_birth
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))

    @property
    def age(self) -> int:
        return self.age_on(date.today())


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    credentials = models.CharField(max_length=100, blank=True, help_text="For example: L.Ac., Dipl. OM")
    licence_number = models.CharField("licence number", max_length=50, blank=True)
    licence_state = models.CharField("licence state", max_length=2, blank=True)
    npi = models.CharField(
        "NPI",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$", "An NPI has exactly 10 digits.")],
    )
    locations = models.ManyToManyField(
        Location, blank=True, related_name="staff", help_text="Where this person works: they see these patients."
    )

    class Meta:
        verbose_name = "staff profile"
        permissions = [
            # A lost phone: the manager removes a staff member's second factor so they set it up again.
            ("reset_second_factor", "Can reset a staff member's two-factor sign-in"),
            # Too many wrong passwords or codes: the manager lets the staff member try again before the cool-off.
            ("lift_lockout", "Can lift a staff member's sign-in lockout"),
        ]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name}, {self.credentials}" if self.credentials else name


audited(Location)
audited(Patient, exclude=("phone_digits", "updated_at"))
audited(StaffProfile, m2m=("locations",))


class PatientLinkQuerySet(models.QuerySet):
    def usable(self, now) -> "PatientLinkQuerySet":
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class PatientLink(models.Model):
    """A personal link a patient opens without an account (docs/architecture.md, "Patient links").

    Only the SHA-256 of the token is stored: a copy of the database cannot be turned into working
    links. A link serves one patient and one purpose, expires, and is spent on submission.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="links")
    # A purpose an app registered (clinic.links.Purpose): the core names no app.
    purpose = models.CharField(max_length=15)
    # What the link is for within its purpose (e.g. the questionnaire due), when more than the patient.
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PatientLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "purpose", "subject_id"], name="link_patient_purpose_idx")]
        constraints = [
            # A SHA-256 hex digest, never a raw token.
            models.CheckConstraint(condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="link_token_is_sha256"),  # noqa: S106
            # A subject's type comes with its id. (Links made before subject_type existed have an id
            # alone until their app's migration fills the type in, hence not the converse.)
            models.CheckConstraint(
                condition=Q(subject_type__isnull=True) | Q(subject_id__isnull=False), name="link_subject_has_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose_label} link for {self.patient}"

    @property
    def purpose_label(self) -> str:
        from clinic.links import purpose_label

        return purpose_label(self.purpose)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


audited(PatientLink, exclude=("token_hash",))
