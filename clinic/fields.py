"""What every app's models share: a bounded score and its range CHECK, and who entered a record's answers."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q


def score_field(low: int, high: int, verbose_name: str, **kwargs) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name, validators=[MinValueValidator(low), MaxValueValidator(high)], **kwargs
    )


class RangeCheck(models.CheckConstraint):
    """A range CHECK in the database, validated in Python: no query per field on every form save.

    Django validates a CheckConstraint by asking the database (one SELECT, in a savepoint, per
    constraint); a range needs no database to check. Migrations see a plain CheckConstraint.
    """

    def __init__(self, *, field: str, low: int, high: int, **kwargs):
        kwargs.setdefault(
            "condition", Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})
        )
        kwargs.setdefault("name", f"%(class)s_{field}_range")
        super().__init__(**kwargs)
        self.field, self.low, self.high = field, low, high

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if exclude and self.field in exclude:
            return
        value = getattr(instance, self.field)
        if value is not None and not self.low <= value <= self.high:
            raise ValidationError(self.get_violation_error_message(), code=self.violation_error_code)

    def clone(self) -> "RangeCheck":
        return RangeCheck(field=self.field, low=self.low, high=self.high, name=self.name)

    def deconstruct(self):
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs


def range_check(field: str, low: int, high: int, *, table: str = "%(class)s") -> models.CheckConstraint:
    """Backs the form's friendly message: no code path may store an out-of-range value.

    The constraint is named `<table>_<field>_range`; `table` is the model's name unless a renamed model
    keeps its old one.
    """
    return RangeCheck(field=field, low=low, high=high, name=f"{table}_{field}_range")


class Source(models.TextChoices):
    """Who put a form's answers in: the patient, through their link, or staff (a paper form, or asking)."""

    ONLINE = "online", "Online, by the patient"
    STAFF = "staff", "Entered by staff"
