import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from intake import rules
from intake.models import Alert, ClinicalAssessment, Intake, Referral
from tests.factories import IntakeFactory, PatientFactory


def form_data(**overrides) -> dict:
    data = {
        "chief_complaint": "Sciatica, left leg, 3 months",
        "pain_locations": ["low_back", "thigh", "calf"],
        "pain_side": "left",
        "radiates_below_knee": "on",
        "onset_date": "2026-08-20",
        "suspected_cause": "disc_herniation",
        "pain_now": "6",
        "pain_worst_week": "8",
        "sleep_quality": "poor",
        "prior_treatments": ["nsaids", "physical_therapy"],
        "analgesic_days_week": "5",
        "work_days_off_month": "4",
        **dict.fromkeys(rules.RED_FLAG_KEYS, "False"),
        **{f"phq9_{n}": "0" for n in range(1, 10)},
        "consent_modalities": ["needling", "electroacupuncture"],
        "consent_name": "Ada Moreno",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_front_desk_records_a_clean_intake(desk_client, patient, front_desk):
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data())
    intake = Intake.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:intake-detail", args=[intake.pk])
    assert intake.created_by == front_desk
    assert intake.pain_locations == ["low_back", "thigh", "calf"]
    assert intake.radiates_below_knee is True
    assert intake.duration_category() == "chronic" or intake.duration_category() == "subacute"
    assert set(intake.consents.values_list("modality", flat=True)) == {"needling", "electroacupuncture"}
    assert not Referral.objects.exists()


def test_saddle_anaesthesia_opens_a_referral_with_banner_and_dashboard(desk_client, patient):
    response = desk_client.post(
        reverse("intake:intake-create", args=[patient.pk]), form_data(saddle_anaesthesia="True"), follow=True
    )
    referral = Referral.objects.get()
    assert referral.flags == ["saddle_anaesthesia"]
    assert referral.is_emergency
    body = response.content.decode()
    assert "Red flag: Saddle anaesthesia" in body
    assert 'data-testid="red-flag-banner"' in body
    chart = desk_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert "Urgent referral — possible cauda equina" in chart
    dashboard = desk_client.get(reverse("pages:dashboard")).content.decode()
    assert patient.family_name in dashboard
    assert "Cauda equina:" in dashboard


@pytest.mark.parametrize("key", rules.RED_FLAG_KEYS)
def test_an_unanswered_red_flag_cannot_be_saved(desk_client, patient, key):
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(**{key: None}))
    assert response.status_code == 200
    assert response.context["form"].errors[key] == ["Answer yes or no."]
    assert not Intake.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("onset_date", (date.today() + timedelta(days=2)).isoformat(), "cannot be in the future"),
        ("pain_now", "11", "less than or equal to 10"),
        ("pain_worst_week", "-1", "greater than or equal to 0"),
        ("pain_now", "six", "Enter a whole number"),
        ("analgesic_days_week", "8", "less than or equal to 7"),
        ("phq9_9", "4", "Select a valid choice"),
        ("pain_side", "", "This field is required"),
        ("consent_name", "", "types their full name"),
    ],
)
def test_bad_input_shows_beside_the_field_and_keeps_the_rest(desk_client, patient, field, value, message):
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(**{field: value}))
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert form["chief_complaint"].value() == "Sciatica, left leg, 3 months"
    assert form["saddle_anaesthesia"].value() == "False"
    assert not Intake.objects.exists()


@pytest.mark.parametrize(
    ("onset", "message"),
    [
        ("0202-10-01", "Check the year: the onset date cannot be before 1900."),
        ("1899-12-31", "Check the year: the onset date cannot be before 1900."),
        ("1975-01-01", "Check the date: the onset date cannot be before the patient's date of birth (Mar 4, 1980)."),
        ((date.today() + timedelta(days=1)).isoformat(), "The onset date cannot be in the future."),
    ],
)
def test_an_implausible_onset_is_refused_beside_the_field(desk_client, onset, message):
    patient = PatientFactory(date_of_birth=date(1980, 3, 4))
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(onset_date=onset))
    assert response.status_code == 200
    assert response.context["form"].errors["onset_date"] == [message]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Intake.objects.exists()


@pytest.mark.parametrize("onset", [date.today(), date.today() - timedelta(days=1), date(1980, 3, 4)])
def test_an_onset_from_the_birth_date_to_today_is_accepted(desk_client, onset):
    patient = PatientFactory(date_of_birth=date(1980, 3, 4))
    response = desk_client.post(
        reverse("intake:intake-create", args=[patient.pk]), form_data(onset_date=onset.isoformat())
    )
    assert response.status_code == 302
    assert Intake.objects.get().onset_date == onset


def test_pregnancy_without_weeks_is_refused(desk_client, patient):
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(pregnant="on"))
    assert response.context["form"].errors["pregnancy_weeks"] == ["Enter how many weeks pregnant (1-42)."]


def test_pregnancy_weeks_out_of_range(desk_client, patient):
    response = desk_client.post(
        reverse("intake:intake-create", args=[patient.pk]), form_data(pregnant="on", pregnancy_weeks="45")
    )
    assert "less than or equal to 42" in response.context["form"].errors["pregnancy_weeks"][0]


def test_weeks_without_pregnancy_are_dropped(desk_client, patient):
    desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(pregnancy_weeks="12"))
    assert Intake.objects.get().pregnancy_weeks is None


def test_skin_lesion_needs_its_site(desk_client, patient):
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(skin_lesion="on"))
    assert "Say where" in response.context["form"].errors["skin_lesion_site"][0]


def test_phq9_item_9_raises_an_urgent_alert_on_chart_and_dashboard(desk_client, lac_client, patient):
    desk_client.post(
        reverse("intake:intake-create", args=[patient.pk]),
        form_data(phq9_9="1", phq9_1="3", phq9_2="3", phq9_3="3", phq9_4="1"),
    )
    alert = Alert.objects.get()
    assert (alert.kind, alert.item9) == ("self_harm", 1)
    chart = lac_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert "Open alert:</strong> PHQ-9 item 9: thoughts of self-harm" in chart
    assert "PHQ-9 11 (moderate)" in chart
    assert "PHQ-9 ≥ 10" in chart
    assert "PHQ-9 item 9" in lac_client.get(reverse("pages:dashboard")).content.decode()


def test_acupuncturist_records_the_action_for_a_self_harm_alert(lac_client, acupuncturist):
    intake = IntakeFactory(phq9_9=2)
    alert = Alert.objects.get()
    url = reverse("intake:alert-detail", args=[alert.pk])
    assert lac_client.post(url, {"action_taken": ""}).context["form"].errors["action_taken"]
    response = lac_client.post(url, {"action_taken": "Called patient; referred to PCP same day; 988 given."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == acupuncturist
    assert alert.action_taken.startswith("Called patient")
    assert (
        "Open alert" not in lac_client.get(reverse("pages:patient-detail", args=[intake.patient.pk])).content.decode()
    )


def test_phq9_total_below_ten_is_not_flagged(desk_client, patient):
    desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(phq9_1="3", phq9_2="3", phq9_3="3"))
    intake = Intake.objects.get()
    assert intake.phq9_total == 9
    assert not intake.phq9_flagged


def test_edit_keeps_consent_time_for_unchanged_modalities(desk_client, patient):
    intake = IntakeFactory(patient=patient, consents=["needling"])
    consented_at = intake.consents.get().consented_at
    response = desk_client.post(
        reverse("intake:intake-update", args=[intake.pk]),
        form_data(consent_modalities=["needling", "cupping"], version=str(intake.version)),
    )
    assert response.status_code == 302
    assert intake.consents.get(modality="needling").consented_at == consented_at
    assert intake.consents.filter(modality="cupping").exists()


# --- the clinician section -----------------------------------------------------------------

ASSESSMENT = {
    "slr_left_positive": "on",
    "slr_left_angle": "40",
    "slr_right_angle": "",
    "femoral_stretch": "negative",
    "sensory_l4": "normal",
    "sensory_l5": "reduced",
    "sensory_s1": "normal",
    "reflex_knee": "normal",
    "reflex_ankle": "reduced",
    "dorsiflexion_left": "4",
    "dorsiflexion_right": "5",
    "plantarflexion_left": "5",
    "plantarflexion_right": "5",
    "gait": "Antalgic",
    "tongue_colour": "purple",
    "tongue_coating": "thin_white",
    "tongue_shape": "normal",
    "pulse_qualities": ["wiry", "choppy"],
    "tcm_pattern": "blood_stagnation",
    "treatment_principle": "Move Blood, unblock the channels, stop pain",
}


def test_acupuncturist_records_the_clinical_assessment(lac_client, acupuncturist):
    intake = IntakeFactory()
    response = lac_client.post(reverse("intake:assessment-update", args=[intake.pk]), ASSESSMENT)
    assert response.status_code == 302
    assessment = ClinicalAssessment.objects.get()
    assert assessment.assessed_by == acupuncturist
    assert assessment.pulse_qualities == ["wiry", "choppy"]
    assert assessment.pattern_label == "Blood stagnation"
    assert not Referral.objects.exists()


def test_front_desk_cannot_edit_or_see_the_clinician_section(desk_client):
    intake = IntakeFactory()
    ClinicalAssessment.objects.create(
        intake=intake,
        assessed_by=intake.created_by or _any_user(),
        tcm_pattern="other",
        tcm_pattern_other="SECRET-PATTERN",
    )
    response = desk_client.post(reverse("intake:assessment-update", args=[intake.pk]), ASSESSMENT)
    assert response.status_code == 403
    assert "intake.change_clinicalassessment" in response.content.decode()
    detail = desk_client.get(reverse("intake:intake-detail", args=[intake.pk])).content.decode()
    assert "SECRET-PATTERN" not in detail
    assert "Clinical assessment" not in detail


def _any_user():
    from tests.factories import UserFactory

    return UserFactory()


def test_manager_reads_but_cannot_edit_the_clinician_section(manager_client):
    intake = IntakeFactory()
    ClinicalAssessment.objects.create(intake=intake, assessed_by=_any_user(), tcm_pattern="cold_damp_bi")
    detail = manager_client.get(reverse("intake:intake-detail", args=[intake.pk])).content.decode()
    assert "Cold-Damp Bi" in detail
    assert manager_client.post(reverse("intake:assessment-update", args=[intake.pk]), ASSESSMENT).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dorsiflexion_left", "6", "less than or equal to 5"),
        ("plantarflexion_right", "-1", "greater than or equal to 0"),
        ("slr_left_angle", "", "Record the angle"),
        ("slr_left_angle", "120", "less than or equal to 90"),
    ],
)
def test_assessment_bad_input(lac_client, field, value, message):
    intake = IntakeFactory()
    response = lac_client.post(reverse("intake:assessment-update", args=[intake.pk]), {**ASSESSMENT, field: value})
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["form"]["gait"].value() == "Antalgic"
    assert not ClinicalAssessment.objects.exists()


def test_other_pattern_needs_a_name(lac_client):
    intake = IntakeFactory()
    response = lac_client.post(
        reverse("intake:assessment-update", args=[intake.pk]), {**ASSESSMENT, "tcm_pattern": "other"}
    )
    assert response.context["form"].errors["tcm_pattern_other"] == ["Name the pattern."]


def test_the_assessment_takes_a_primary_and_a_secondary_pattern_and_the_intake_shows_both(lac_client):
    intake = IntakeFactory()
    url = reverse("intake:assessment-update", args=[intake.pk])
    form = lac_client.get(url).context["form"]
    assert ("damp_heat", "Damp-Heat") in form.fields["tcm_pattern"].choices
    assert ("damp_heat", "Damp-Heat") in form.fields["secondary_pattern"].choices
    assert "other" not in dict(form.fields["secondary_pattern"].choices)  # "Other" is named once, as the primary
    page = lac_client.get(url).content.decode()
    assert re.search(r'<label\s+for="id_secondary_pattern"[^>]*>\s*Secondary pattern \(if any\)\s*</label>', page)

    data = {**ASSESSMENT, "tcm_pattern": "damp_heat", "secondary_pattern": "kidney_deficiency"}
    assert lac_client.post(url, data).status_code == 302
    assessment = ClinicalAssessment.objects.get()
    assert assessment.patterns == [
        ("primary", "damp_heat", "Damp-Heat"),
        ("secondary", "kidney_deficiency", "Kidney deficiency"),
    ]
    detail = lac_client.get(reverse("intake:intake-detail", args=[intake.pk])).content.decode()
    assert "<strong>Damp-Heat</strong> (primary)" in detail
    assert '<dt class="col-5">Secondary pattern</dt><dd class="col-7">Kidney deficiency</dd>' in detail


def test_a_single_pattern_shows_without_ranks(lac_client):
    intake = IntakeFactory()
    lac_client.post(reverse("intake:assessment-update", args=[intake.pk]), ASSESSMENT)
    detail = lac_client.get(reverse("intake:intake-detail", args=[intake.pk])).content.decode()
    assert "<strong>Blood stagnation</strong></dd>" in detail
    assert "Secondary pattern" not in detail


@pytest.mark.parametrize(
    ("primary", "secondary", "message"),
    [
        ("blood_stagnation", "blood_stagnation", "The secondary pattern must differ from the primary."),
        ("", "damp_heat", "Choose the primary pattern first (or record this one as the primary)."),
        ("damp_heat", "other", "Select a valid choice. other is not one of the available choices."),
    ],
)
def test_a_secondary_pattern_must_be_another_named_pattern(lac_client, primary, secondary, message):
    intake = IntakeFactory()
    data = {**ASSESSMENT, "tcm_pattern": primary, "secondary_pattern": secondary}
    response = lac_client.post(reverse("intake:assessment-update", args=[intake.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["secondary_pattern"] == [message]
    assert response.context["form"]["gait"].value() == "Antalgic"  # nothing typed is lost
    assert not ClinicalAssessment.objects.exists()


@pytest.mark.parametrize(
    ("primary", "secondary"), [("damp_heat", "damp_heat"), ("", "damp_heat"), ("damp_heat", "other")]
)
def test_the_database_refuses_a_secondary_pattern_that_is_not_another_pattern(db, primary, secondary):
    from django.db import IntegrityError, transaction

    intake = IntakeFactory()
    with pytest.raises(IntegrityError, match="secondary_pattern_differs|CHECK constraint"), transaction.atomic():
        ClinicalAssessment.objects.create(
            intake=intake, assessed_by=_any_user(), tcm_pattern=primary, secondary_pattern=secondary
        )


def test_intake_detail_query_count_is_bounded(lac_client, django_assert_max_num_queries):
    intake = IntakeFactory(saddle_anaesthesia=True, phq9_9=1)
    with django_assert_max_num_queries(15):
        assert lac_client.get(reverse("intake:intake-detail", args=[intake.pk])).status_code == 200


def test_chart_and_dashboard_query_counts_do_not_grow(lac_client, django_assert_max_num_queries):
    intakes = [IntakeFactory(cancer_history=True, phq9_9=1) for _ in range(3)]
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:dashboard"))
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:patient-detail", args=[intakes[0].patient.pk]))
    for _ in range(12):
        IntakeFactory(cancer_history=True, phq9_9=1)
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:dashboard"))


def test_unknown_intake_is_404(lac_client, db):
    assert lac_client.get(reverse("intake:intake-detail", args=[9999])).status_code == 404
    assert lac_client.get(reverse("intake:intake-create", args=[9999])).status_code == 404


def test_patients_with_several_intakes_show_the_latest(lac_client):
    patient = PatientFactory()
    IntakeFactory(patient=patient, chief_complaint="First episode 2024")
    IntakeFactory(patient=patient, chief_complaint="Second episode 2026")
    chart = lac_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert "Second episode 2026" in chart
    assert "First episode 2024" not in chart


# --- the PHQ-9 is clinical: the front desk may enter it but not read it back ------------------


def test_the_front_desk_does_not_read_phq9_answers_or_the_self_harm_flag(desk_client, lac_client):
    intake = IntakeFactory(phq9_1=3, phq9_2=3, phq9_3=3, phq9_4=1, phq9_9=1)
    for client, shown in ((desk_client, False), (lac_client, True)):
        detail = client.get(intake.get_absolute_url()).content.decode()
        chart = client.get(reverse("pages:patient-detail", args=[intake.patient.pk])).content.decode()
        assert ("Item 9 answered above 0" in detail) is shown
        assert ("PHQ-9: 11" in detail) is shown
        assert ("PHQ-9 item 9" in chart) is shown
        assert ("PHQ-9 11 (moderate)" in chart) is shown
    assert "Recorded; the answers are for the clinician." in desk_client.get(intake.get_absolute_url()).content.decode()


def test_the_front_desk_edits_an_intake_without_seeing_or_changing_its_phq9(desk_client, front_desk):
    intake = IntakeFactory(phq9_1=2, phq9_9=1)
    url = reverse("intake:intake-update", args=[intake.pk])
    page = desk_client.get(url).content.decode()
    assert 'name="phq9_1"' not in page and 'name="phq9_9"' not in page
    assert "Recorded; the answers are for the clinician." in page
    data = form_data(chief_complaint="Sciatica, now both legs", version=str(intake.version))
    data = {key: value for key, value in data.items() if not key.startswith("phq9_")}
    assert desk_client.post(url, data).status_code == 302
    intake.refresh_from_db()
    assert intake.chief_complaint == "Sciatica, now both legs"
    assert (intake.phq9_1, intake.phq9_9) == (2, 1)


def test_the_front_desk_enters_a_paper_phq9_on_a_new_intake(desk_client, patient):
    page = desk_client.get(reverse("intake:intake-create", args=[patient.pk])).content.decode()
    assert 'name="phq9_9"' in page


def test_the_clinician_edits_the_phq9(lac_client):
    intake = IntakeFactory(phq9_1=2)
    page = lac_client.get(reverse("intake:intake-update", args=[intake.pk])).content.decode()
    assert 'name="phq9_1"' in page


# --- a warning sign on a staff form that cannot be saved yet ---------------------------------


def test_a_red_flag_on_a_staff_intake_that_cannot_be_saved_is_acted_on_alone(desk_client, front_desk, patient):
    data = form_data(saddle_anaesthesia="True", chief_complaint="", pain_now="12")
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), data)
    assert response.status_code == 200 and not Intake.objects.exists()
    assert response.context["form"]["saddle_anaesthesia"].value() == "True"  # nothing typed is lost
    referral = Referral.objects.get(patient=patient)
    assert referral.flags == ["saddle_anaesthesia"] and referral.is_emergency and referral.opened_by == front_desk
    assert Alert.objects.get(patient=patient).kind == "red_flag_at_intake"
    html = response.content.decode()
    assert "An urgent referral is open" in html
    assert "The rest of the intake is not saved yet: correct the fields marked below." in html
    # Once corrected, the intake joins the same referral.
    desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(saddle_anaesthesia="True"))
    assert Referral.objects.get(patient=patient) == referral


def test_thoughts_of_self_harm_on_a_staff_intake_that_cannot_be_saved_alert_the_clinicians(desk_client, patient):
    response = desk_client.post(
        reverse("intake:intake-create", args=[patient.pk]), form_data(phq9_9="2", chief_complaint="")
    )
    assert not Intake.objects.exists()
    alert = Alert.objects.get(patient=patient)
    assert (alert.kind, alert.item9) == ("self_harm", 2)
    assert "a self-harm alert has been sent to the clinicians" in response.content.decode()


def test_a_red_flag_added_in_an_edit_that_cannot_be_saved_is_acted_on(lac_client, acupuncturist):
    intake = IntakeFactory()
    url = reverse("intake:intake-update", args=[intake.pk])
    data = {**form_data(night_pain="True", pain_now="")}
    data["version"] = str(intake.version)
    lac_client.post(url, data)
    referral = Referral.objects.get(patient=intake.patient)
    assert referral.flags == ["night_pain"] and not referral.is_emergency
    intake.refresh_from_db()
    assert intake.night_pain is False  # the edit itself is not saved


def test_a_staff_intake_with_no_warning_sign_and_an_error_opens_nothing(desk_client, patient):
    response = desk_client.post(reverse("intake:intake-create", args=[patient.pk]), form_data(chief_complaint=""))
    assert response.status_code == 200
    assert not Referral.objects.exists() and not Alert.objects.exists()
    assert "The rest of the intake is not saved yet" not in response.content.decode()
