"""Range constraints: checked in Python on every form save, enforced by the database underneath."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from clinic.fields import RangeCheck
from outcomes.models import Questionnaire
from tests.factories import PatientFactory
from treatments.models import Session


def session(**values) -> Session:
    return Session(**{"contact_minutes": 30, "pain_before": 5, **values})


def validate_ranges(instance, exclude=None) -> None:
    for constraint in type(instance)._meta.constraints:
        if isinstance(constraint, RangeCheck):
            constraint.validate(type(instance), instance, exclude=exclude)


def test_every_range_of_a_session_is_a_range_check():
    names = {c.name for c in Session._meta.constraints if isinstance(c, RangeCheck)}
    assert {"session_pain_before_range", "session_pain_after_range", "session_contact_minutes_range"} <= names


@pytest.mark.parametrize("pain", [0, 10, None])
def test_in_range_passes_without_a_query(db, pain):
    with CaptureQueriesContext(connection) as queries:
        validate_ranges(session(pain_after=pain))
    assert len(queries) == 0


@pytest.mark.parametrize(("field", "value"), [("pain_after", 11), ("pain_before", 11), ("contact_minutes", 241)])
def test_out_of_range_is_refused(field, value):
    with pytest.raises(ValidationError):
        validate_ranges(session(**{field: value}))


def test_an_excluded_field_is_left_to_its_form():
    validate_ranges(session(pain_after=11), exclude={"pain_after"})


def test_the_database_still_refuses_what_python_would(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(patient=PatientFactory(), due_date="2026-01-05", week=0, odi_score=101)
