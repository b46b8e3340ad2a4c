"""The API the session log calls: may_treat and treatment_check (its precautions and consents)."""

from datetime import date

import pytest

from intake import services
from intake.models import ClinicalAssessment, Referral
from intake.safety import may_treat, treatment_check
from tests.factories import IntakeFactory, PatientFactory

pytestmark = pytest.mark.django_db


def close(referral, user, outcome):
    return services.close_referral(
        referral=referral,
        user=user,
        referred_to="gp",
        referred_to_detail="Dr Patel",
        referred_on=date.today(),
        outcome=outcome,
        outcome_notes="",
    )


def test_no_intake_means_no_treatment():
    decision = may_treat(PatientFactory())
    assert not decision
    assert "No intake" in decision.reasons[0]


def test_clean_intake_may_treat():
    assert may_treat(IntakeFactory().patient).allowed


def test_open_referral_blocks_and_names_the_referral():
    intake = IntakeFactory(saddle_anaesthesia=True)
    decision = may_treat(intake.patient)
    assert not decision
    assert decision.referral == Referral.objects.get(patient=intake.patient)
    assert "Saddle anaesthesia" in decision.reasons[0]


def test_cleared_referral_allows_treatment(acupuncturist):
    intake = IntakeFactory(cancer_history=True)
    close(Referral.objects.get(), acupuncturist, "cleared")
    assert may_treat(intake.patient).allowed


def test_not_to_treat_blocks(acupuncturist):
    intake = IntakeFactory(cancer_history=True)
    close(Referral.objects.get(), acupuncturist, "not_to_treat")
    decision = may_treat(intake.patient)
    assert not decision
    assert "not to treat" in decision.reasons[0]


def test_a_new_flag_after_clearance_opens_a_new_referral(acupuncturist):
    intake = IntakeFactory(cancer_history=True)
    close(Referral.objects.get(), acupuncturist, "cleared")
    intake.weight_loss = True
    services.record_intake(intake=intake, consent_modalities=["needling"], consent_name="A B", user=acupuncturist)
    assert Referral.objects.open().get().flags == ["weight_loss"]
    assert not may_treat(intake.patient)


def test_saving_the_same_flags_again_does_not_open_a_second_referral(acupuncturist):
    intake = IntakeFactory(cancer_history=True)
    close(Referral.objects.get(), acupuncturist, "cleared")
    services.record_intake(intake=intake, consent_modalities=["needling"], consent_name="A B", user=acupuncturist)
    assert Referral.objects.count() == 1
    assert may_treat(intake.patient).allowed


def test_flags_are_merged_into_the_open_referral():
    intake = IntakeFactory(cancer_history=True)
    intake.night_pain = True
    services.record_intake(intake=intake, consent_modalities=[], consent_name="")
    referral = Referral.objects.get()
    assert referral.flags == ["night_pain", "cancer_history"]


def test_foot_drop_on_exam_opens_a_referral(acupuncturist):
    intake = IntakeFactory()
    referral = services.record_assessment(
        assessment=ClinicalAssessment(intake=intake, dorsiflexion_left=2, dorsiflexion_right=5), user=acupuncturist
    )
    assert referral.flags == ["motor_weakness"]
    assert referral.source == "exam"
    assert not may_treat(intake.patient)


def test_the_latest_intake_is_the_current_one(acupuncturist):
    first = IntakeFactory(pregnant=True, pregnancy_weeks=12)
    assert [p.key for p in treatment_check(first.patient).precautions] == ["pregnancy"]
    IntakeFactory(patient=first.patient, implanted_device=True)
    assert [p.key for p in treatment_check(first.patient).precautions] == ["implanted_device"]


def test_precautions_without_an_intake_are_empty():
    assert treatment_check(PatientFactory()).precautions == []


def test_consented_modalities():
    intake = IntakeFactory(consents=["needling", "cupping"])
    assert treatment_check(intake.patient).consented == {"needling", "cupping"}
    assert treatment_check(PatientFactory()).consented == set()


def test_only_the_current_intakes_consents_count():
    old = IntakeFactory(consents=["needling", "cupping", "moxibustion"])
    IntakeFactory(patient=old.patient, consents=["needling"])  # a new episode: consent asked again
    assert treatment_check(old.patient).consented == {"needling"}


def test_withdrawn_consent_is_removed():
    intake = IntakeFactory(consents=["needling", "cupping"])
    services.record_intake(intake=intake, consent_modalities=["needling"], consent_name="Ada Moreno")
    assert treatment_check(intake.patient).consented == {"needling"}


def test_self_harm_alert_raised_once_per_intake():
    intake = IntakeFactory(phq9_9=1)
    services.record_intake(intake=intake, consent_modalities=[], consent_name="")
    assert intake.patient.alerts.filter(kind="self_harm").count() == 1
