import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Patient
from clinic.search import fold, parse_query
from clinic.services import next_chart_number, register_patient
from tests.factories import PatientFactory

VALID = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "date_of_birth": "1985-12-10",
    "sex": "female",
    "phone": "(217) 555-0100",
    "email": "ada@example.com",
    "preferred_contact": "phone",
    "address_line": "1 Analytical Way",
    "city": "Springfield",
    "state": "il",
    "postal_code": "62701",
    "emergency_contact_name": "Byron Lovelace",
    "emergency_contact_relationship": "father",
    "emergency_contact_phone": "(217) 555-0101",
}


# --- model -----------------------------------------------------------------------------------


def test_chart_numbers_are_sequential_and_human_friendly(db):
    first = PatientFactory()
    second = PatientFactory()
    assert first.chart_number == "P000001"
    assert second.chart_number == "P000002"
    assert next_chart_number() == "P000003"


def test_register_patient_retries_when_the_number_is_taken(db, monkeypatch):
    PatientFactory()  # holds P000001
    calls = iter(["P000001", "P000002"])
    monkeypatch.setattr("clinic.services.next_chart_number", lambda: next(calls))
    patient = register_patient(
        patient=Patient(given_name="A", family_name="B", date_of_birth=date(1980, 1, 1), sex="male")
    )
    assert patient.chart_number == "P000002"
    assert Patient.objects.count() == 2


def test_phone_digits_follow_the_phone(db):
    patient = PatientFactory(phone="+1 (217) 555-0123")
    assert patient.phone_digits == "12175550123"
    patient.phone = "217.555.9999"
    patient.save(update_fields=["phone"])
    patient.refresh_from_db()
    assert patient.phone_digits == "2175559999"


@pytest.mark.parametrize(
    ("on", "expected"),
    [(date(2020, 3, 14), 40), (date(2020, 3, 15), 41), (date(2021, 3, 14), 41)],
)
def test_age_turns_on_the_birthday(on, expected):
    assert Patient(date_of_birth=date(1979, 3, 15)).age_on(on) == expected


def test_leap_day_birthday_ages_on_first_march():
    patient = Patient(date_of_birth=date(2000, 2, 29))
    assert patient.age_on(date(2021, 2, 28)) == 20
    assert patient.age_on(date(2021, 3, 1)) == 21


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words", "numbers", "dob"),
    [
        ("smith", ["smith"], [], None),
        ("Smith, John", ["Smith", "John"], [], None),
        ("1984-03-02", [], [], date(1984, 3, 2)),
        ("03/02/1984", [], [], date(1984, 3, 2)),
        ("smith 1984-03-02", ["smith"], [], None),
        ("(217) 555-0123", [], ["2175550123"], None),
        ("0123", [], ["0123"], None),
        ("P000123", ["P000123"], [], None),
        ("", [], [], None),
        ("   ", [], [], None),
        ("<script>", ["script"], [], None),
    ],
)
def test_parse_query(query, words, numbers, dob):
    parsed = parse_query(query)
    assert parsed.words == words
    assert parsed.numbers == numbers
    if query != "smith 1984-03-02":
        assert parsed.date_of_birth == dob
    else:
        assert parsed.date_of_birth == date(1984, 3, 2)


@pytest.fixture
def registry(db):
    return {
        "thornton": PatientFactory(
            given_name="James", family_name="Thornton", date_of_birth=date(1968, 4, 12), phone="(217) 555-0141"
        ),
        "thorne": PatientFactory(
            given_name="Jamie", family_name="Thorne", date_of_birth=date(1990, 1, 1), phone="(312) 555-7788"
        ),
        "okafor": PatientFactory(
            given_name="Linda", family_name="Okafor", date_of_birth=date(1968, 4, 12), phone="(217) 555-0178"
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("thorn", {"thornton", "thorne"}),
        ("THORNTON", {"thornton"}),
        ("james thorn", {"thornton"}),
        ("linda", {"okafor"}),
        ("1968-04-12", {"thornton", "okafor"}),
        ("04/12/1968", {"thornton", "okafor"}),
        ("okafor 1968-04-12", {"okafor"}),
        ("555-7788", {"thorne"}),
        ("(217) 555-0178", {"okafor"}),
        ("0141", {"thornton"}),
        ("zzz", set()),
    ],
)
def test_search_in_sql(registry, query, expected):
    found = set(Patient.objects.search(query).values_list("pk", flat=True))
    assert found == {registry[key].pk for key in expected}


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Bergström", "bergstrom"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Quennell-Marsh", "quennell marsh"),
        ("José María", "jose maria"),
        ("Nguyễn", "nguyen"),
        ("Søren", "soren"),
        ("Straße", "strasse"),
        ("St. John", "st john"),
        ("  ", ""),
    ],
)
def test_names_fold_as_people_type_them(name, folded):
    assert fold(name) == folded


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("bergstrom", "bergstrom"),
        ("Bergström", "bergstrom"),
        ("BERGSTRÖM", "bergstrom"),
        ("obrien", "obrien"),
        ("o'brien", "obrien"),
        ("O’Brien", "obrien"),
        ("o'b", "obrien"),
        ("quennell", "quennell"),
        ("quennell-m", "quennell"),
        ("jose", "quennell"),
        ("zoe", "obrien"),
    ],
)
def test_search_finds_names_whatever_their_accents_and_apostrophes(db, query, found):
    patients = {
        "bergstrom": PatientFactory(given_name="Anna", family_name="Bergström"),
        "obrien": PatientFactory(given_name="Zoë", family_name="O'Brien"),
        "quennell": PatientFactory(given_name="José", family_name="Quennell-Marsh"),
    }
    assert list(Patient.objects.search(query)) == [patients[found]]


@pytest.fixture
def names(db):
    """Names as patients spell them (issue 20)."""
    return {
        "bergstrom": PatientFactory(given_name="Anna", family_name="Bergström"),
        "obrien": PatientFactory(given_name="Zoë", family_name="O'Brien"),
        "nguyen": PatientFactory(given_name="Thị Lan", family_name="Nguyễn"),
        "muller": PatientFactory(given_name="Jürgen", family_name="Müller-Lüdenscheidt"),
        "mcdonald": PatientFactory(given_name="Ian", family_name="McDonald"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Bergstrom", {"bergstrom"}),
        ("bergström", {"bergstrom"}),
        ("obrien", {"obrien"}),
        ("O'Brien", {"obrien"}),
        ("o’brien", {"obrien"}),
        ("o brien", {"obrien"}),  # heard on the phone, typed with a space
        ("zoe o'brien", {"obrien"}),
        ("Zoë", {"obrien"}),
        ("nguyen", {"nguyen"}),
        ("Nguyễn", {"nguyen"}),
        ("thi lan", {"nguyen"}),
        ("muller", {"muller"}),
        ("Müller-Lüdenscheidt", {"muller"}),
        ("mueller", set()),  # German transliteration (ü as ue) is not folded: only the accent comes off
        ("muller-lud", {"muller"}),
        ("muller lud", {"muller"}),
        ("jurgen muller", {"muller"}),
        ("mc donald", {"mcdonald"}),
        ("mcd", {"mcdonald"}),
        ("o", {"obrien"}),
        ("-", set()),
        ("'", set()),
    ],
)
def test_search_is_blind_to_accents_and_punctuation(names, query, expected):
    found = set(Patient.objects.search(query).values_list("pk", flat=True))
    assert found == {names[key].pk for key in expected}


def test_the_registry_page_finds_accented_names_typed_plainly(desk_client, names):
    response = desk_client.get(reverse("clinic:patient-list"), {"q": "bergstrom"})
    assert [row["pk"] for row in response.context["page"]] == [names["bergstrom"].pk]
    assert "Bergström" in response.content.decode()
    response = desk_client.get(reverse("clinic:patient-list"), {"q": "o brien"})
    assert [row["pk"] for row in response.context["page"]] == [names["obrien"].pk]


def test_the_admin_searches_patients_as_the_registry_does(admin_client, names):
    html = admin_client.get(reverse("admin:clinic_patient_changelist"), {"q": "muller-ludenscheidt"}).content.decode()
    assert "Müller-Lüdenscheidt" in html and "Bergström" not in html
    html = admin_client.get(reverse("admin:clinic_patient_changelist"), {"q": names["obrien"].chart_number}).content
    assert "O&#x27;Brien" in html.decode()


def test_a_renamed_patient_is_found_by_the_new_name(db):
    patient = PatientFactory(family_name="Smith")
    patient.family_name = "Åberg"
    patient.save(update_fields=["family_name"])
    assert list(Patient.objects.search("aberg")) == [patient]


def test_search_by_chart_number(registry):
    chart = registry["okafor"].chart_number
    assert list(Patient.objects.search(chart)) == [registry["okafor"]]
    assert list(Patient.objects.search(chart.lower())) == [registry["okafor"]]


def test_patient_list_searches_and_paginates(desk_client, db):
    for n in range(30):
        PatientFactory(family_name=f"Garcia{n:02d}")
    PatientFactory(family_name="Other")
    response = desk_client.get(reverse("clinic:patient-list"), {"q": "garcia"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 30
    assert len(page.object_list) == 25
    response = desk_client.get(reverse("clinic:patient-list"), {"q": "garcia", "page": 2})
    assert len(response.context["page"].object_list) == 5
    # An out-of-range or junk page number falls back to a real page rather than an error.
    assert desk_client.get(reverse("clinic:patient-list"), {"q": "garcia", "page": "x"}).status_code == 200
    assert desk_client.get(reverse("clinic:patient-list"), {"q": "garcia", "page": 99}).status_code == 200


def test_patient_list_hides_inactive_unless_asked(desk_client, db):
    PatientFactory(family_name="Active")
    PatientFactory(family_name="Gone", is_active=False)
    names = [p["family_name"] for p in desk_client.get(reverse("clinic:patient-list")).context["page"]]
    assert names == ["Active"]
    response = desk_client.get(reverse("clinic:patient-list"), {"include_inactive": "on"})
    assert {p["family_name"] for p in response.context["page"]} == {"Active", "Gone"}


def test_htmx_search_returns_only_the_results(desk_client, registry):
    response = desk_client.get(reverse("clinic:patient-list"), {"q": "okafor"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Okafor" in body
    assert '<nav class="navbar' not in body


@pytest.mark.parametrize(
    ("q", "message"),
    [("x" * 201, "Ensure this value has at most 200 characters (it has 201)."), ("oka\x00for", "Null characters")],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_search_that_is_refused_says_why_and_lists_no_one(desk_client, registry, q, message, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = desk_client.get(reverse("clinic:patient-list"), {"q": q}, **headers)
    assert response.status_code == 200
    body = response.content.decode()
    error = re.search(r'<div class="col-12 text-danger small" id="patient-search-error"[^>]*>([^<]*)</div>', body)
    assert error and message in error.group(1)
    assert ('data-hx-swap-oob="true"' in error.group()) is htmx  # the partial sets the message beside the box
    assert "No search was run: correct the search above." in body
    assert "Okafor" not in body


def test_a_good_htmx_search_clears_the_message_beside_the_box(desk_client, registry):
    body = desk_client.get(reverse("clinic:patient-list"), {"q": "okafor"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<div class="col-12 text-danger small" id="patient-search-error" data-hx-swap-oob="true"></div>' in body


# Eight reads, one for the locations the user sees, one more for the red-flag markers of the whole page, and the
# audit entry for the patients listed.
def test_patient_list_query_count_does_not_grow(desk_client, django_assert_max_num_queries, db):
    PatientFactory.create_batch(5)
    with django_assert_max_num_queries(11):
        desk_client.get(reverse("clinic:patient-list"))
    PatientFactory.create_batch(50)
    with django_assert_max_num_queries(11):
        desk_client.get(reverse("clinic:patient-list"))


# --- create and edit -------------------------------------------------------------------------


def test_register_a_patient(desk_client):
    response = desk_client.post(reverse("clinic:patient-create"), VALID)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pages:patient-detail", args=[patient.pk])
    assert patient.chart_number == "P000001"
    assert patient.state == "IL"
    assert patient.phone_digits == "2175550100"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", (date.today() + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("date_of_birth", "1850-01-01", "Check the year: the date of birth cannot be before 1900."),
        ("date_of_birth", "1899-12-31", "Check the year: the date of birth cannot be before 1900."),
        ("date_of_birth", "0202-05-01", "Check the year: the date of birth cannot be before 1900."),
        ("date_of_birth", (date.today() - timedelta(days=121 * 366)).isoformat(), "over 120"),
        ("date_of_birth", "31/31/1999", "Enter a valid date"),
        ("given_name", "", "This field is required"),
        ("phone", "12", "7 to 15 digits"),
        ("email", "not-an-email", "valid email"),
        ("postal_code", "ABCDE", "ZIP code"),
        ("sex", "robot", "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_kept(desk_client, field, value, message):
    data = {**VALID, field: value}
    response = desk_client.post(reverse("clinic:patient-create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # Everything typed comes back in the form.
    assert form["family_name"].value() == "Lovelace"
    assert form[field].value() == value
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("days_ago", [0, 1])
def test_a_date_of_birth_today_or_yesterday_is_accepted(desk_client, days_ago):
    born = (timezone.localdate() - timedelta(days=days_ago)).isoformat()
    response = desk_client.post(reverse("clinic:patient-create"), {**VALID, "date_of_birth": born})
    assert response.status_code == 302
    assert Patient.objects.get().date_of_birth.isoformat() == born


def test_email_required_when_it_is_the_preferred_contact(desk_client):
    response = desk_client.post(reverse("clinic:patient-create"), {**VALID, "preferred_contact": "email", "email": ""})
    assert "an email address is needed" in response.context["form"].errors["email"][0]


def test_possible_duplicate_is_shown_before_saving(desk_client):
    existing = PatientFactory(given_name="Ada", family_name="Lovelace", date_of_birth=date(1985, 12, 10))
    response = desk_client.post(
        reverse("clinic:patient-create"), {**VALID, "given_name": "ada ", "family_name": "LOVELACE"}
    )
    assert response.status_code == 200
    assert response.context["form"].duplicates == [existing]
    assert "Possible duplicate" in response.content.decode()
    assert Patient.objects.count() == 1
    confirmed = desk_client.post(reverse("clinic:patient-create"), {**VALID, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_edit_a_patient(desk_client, patient):
    url = reverse("clinic:patient-update", args=[patient.pk])
    form = desk_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "confirm_not_duplicate"}
    data.update({"phone": "(217) 555-7777", "is_active": ""})
    response = desk_client.post(url, data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone_digits == "2175557777"
    assert patient.is_active is False


def test_editing_does_not_flag_the_patient_as_their_own_duplicate(desk_client, patient):
    url = reverse("clinic:patient-update", args=[patient.pk])
    form = desk_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "confirm_not_duplicate"}
    assert desk_client.post(url, data).status_code == 302


def test_unknown_patient_is_a_404(desk_client, db):
    assert desk_client.get(reverse("pages:patient-detail", args=[999])).status_code == 404
    assert desk_client.get(reverse("clinic:patient-update", args=[999])).status_code == 404


def test_chart_page_shows_header_and_sections(desk_client, patient):
    response = desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    body = response.content.decode()
    assert patient.chart_number in body
    for section in ('id="intake"', 'id="plan"', 'id="sessions"', 'id="outcomes"'):
        assert section in body


# --- red-flag markers wherever a patient is listed or edited (issue 14) ----------------------------


def test_red_flags_are_marked_in_the_list_and_in_search_results(desk_client, db):
    from tests.factories import IntakeFactory

    emergency = IntakeFactory(patient=PatientFactory(family_name="Quarry"), saddle_anaesthesia=True).patient
    routine = IntakeFactory(patient=PatientFactory(family_name="Quartz"), night_pain=True).patient
    clear = IntakeFactory(patient=PatientFactory(family_name="Quaver")).patient
    for html in (
        desk_client.get(reverse("clinic:patient-list")).content.decode(),
        desk_client.get(reverse("clinic:patient-list"), {"q": "qua"}, HTTP_HX_REQUEST="true").content.decode(),
    ):
        rows = {p: html.split(p.family_name, 1)[1].split("</tr>", 1)[0] for p in (emergency, routine, clear)}
        assert "Red flag: possible cauda equina" in rows[emergency]
        assert "Red flag: referral open" in rows[routine]
        assert "red-flag-marker" not in rows[clear]


def test_the_edit_page_shows_the_red_flag_banner(desk_client, db):
    from tests.factories import IntakeFactory

    patient = IntakeFactory(bowel_incontinence=True).patient
    html = desk_client.get(reverse("clinic:patient-update", args=[patient.pk])).content.decode()
    assert 'data-testid="red-flag-banner"' in html and "possible cauda equina" in html
