"""Each session safety rule on its own (docs/clinical-rules.md, "Contraindications and precautions")."""

import pytest

from intake.rules import precautions_from
from treatments.safety import PlannedPoint, session_problems

PREGNANT = precautions_from({"pregnant": True, "pregnancy_weeks": 20})
DEVICE = precautions_from({"implanted_device": True})
ANTICOAGULANTS = precautions_from({"anticoagulants": True})

GB34 = PlannedPoint("GB34", "lower_limb")
ST36 = PlannedPoint("ST36", "lower_limb")
BL40 = PlannedPoint("BL40", "lower_limb")
BL23 = PlannedPoint("BL23", "lumbosacral")
CV4 = PlannedPoint("CV4", "lower_abdomen")


def fields(problems):
    return [p.field for p in problems]


def test_no_precautions_no_problems():
    assert session_problems(precautions=[], points=[GB34, BL23], electro_points=[BL23, BL40]) == []


@pytest.mark.parametrize(
    "point",
    [
        PlannedPoint("LI4", "upper_limb"),
        PlannedPoint("SP6", "lower_limb"),
        PlannedPoint("BL60", "lower_limb"),
        PlannedPoint("BL67", "lower_limb"),
        PlannedPoint("GB21", "upper_back"),
    ],
)
def test_pregnancy_blocks_each_forbidden_point(point):
    (problem,) = session_problems(precautions=PREGNANT, points=[GB34, point])
    assert problem.field == "override_reason"
    assert point.code in problem.message


def test_pregnancy_blocks_lower_abdominal_points():
    (problem,) = session_problems(precautions=PREGNANT, points=[CV4])
    assert "CV4" in problem.message


def test_pregnancy_blocks_lumbosacral_points():
    (problem,) = session_problems(precautions=PREGNANT, points=[BL23])
    assert "BL23 is blocked" in problem.message


def test_pregnancy_override_reason_allows_the_points():
    assert session_problems(precautions=PREGNANT, points=[BL23], override_reason="Breech: OB agreed BL67") == []


def test_a_blank_override_reason_is_no_reason():
    assert fields(session_problems(precautions=PREGNANT, points=[BL23], override_reason="   ")) == ["override_reason"]


def test_pregnancy_allows_safe_distal_points():
    assert session_problems(precautions=PREGNANT, points=[GB34, ST36, BL40]) == []


@pytest.mark.parametrize("code", ["LI4", "SP6", "BL60", "BL67"])
def test_pregnancy_blocks_a_forbidden_point_wired_for_electroacupuncture_without_being_needled(code):
    forbidden = PlannedPoint(code, "upper_limb" if code == "LI4" else "lower_limb")
    (problem,) = session_problems(precautions=PREGNANT, points=[ST36], electro_points=[forbidden, GB34])
    assert problem.field == "override_reason"
    assert f"{code} is blocked" in problem.message


def test_pregnancy_blocks_moxibustion_on_a_forbidden_point_or_the_lower_abdomen():
    sp6 = PlannedPoint("SP6", "lower_limb")
    (problem,) = session_problems(precautions=PREGNANT, moxibustion_points=[CV4, sp6])
    assert problem.field == "override_reason"
    assert "CV4, SP6 are blocked" in problem.message


def test_an_override_reason_allows_a_forbidden_point_however_it_is_stimulated():
    li4, bl67 = PlannedPoint("LI4", "upper_limb"), PlannedPoint("BL67", "lower_limb")
    reason = "Breech at 34 weeks: OB asked for moxa on BL67"
    assert session_problems(precautions=PREGNANT, electro_points=[li4, GB34], override_reason=reason) == []
    assert session_problems(precautions=PREGNANT, moxibustion_points=[bl67], override_reason=reason) == []


def test_a_point_both_needled_and_wired_is_named_once():
    sp6 = PlannedPoint("SP6", "lower_limb")
    (problem,) = session_problems(precautions=PREGNANT, points=[sp6], electro_points=[sp6, GB34])
    assert "SP6 is blocked" in problem.message


def test_moxibustion_on_the_lower_abdomen_is_allowed_when_not_pregnant():
    assert session_problems(precautions=DEVICE, moxibustion_points=[CV4]) == []


def test_pregnancy_blocks_electroacupuncture_on_the_trunk_even_with_an_override():
    problems = session_problems(
        precautions=PREGNANT, points=[BL23], electro_points=[BL23, BL40], override_reason="agreed with OB"
    )
    assert fields(problems) == ["electro"]
    assert "no electroacupuncture on the trunk (BL23)" in problems[0].message


def test_pregnancy_allows_electroacupuncture_on_the_legs():
    assert session_problems(precautions=PREGNANT, points=[GB34, ST36], electro_points=[GB34, ST36]) == []


def test_implanted_device_blocks_any_electroacupuncture():
    (problem,) = session_problems(precautions=DEVICE, points=[GB34], electro_points=[GB34, ST36])
    assert problem.field == "electro"
    assert "implanted electrical device" in problem.message


def test_implanted_device_allows_manual_needling():
    assert session_problems(precautions=DEVICE, points=[GB34, BL23]) == []


def test_anticoagulants_must_be_acknowledged():
    (problem,) = session_problems(precautions=ANTICOAGULANTS, points=[GB34])
    assert problem.field == "cautions_acknowledged"
    assert "Anticoagulants" in problem.message
    assert session_problems(precautions=ANTICOAGULANTS, points=[GB34], cautions_acknowledged=True) == []


@pytest.mark.parametrize("flag", ["needle_phobia", "metal_allergy", "skin_lesion"])
def test_other_cautions_must_be_acknowledged(flag):
    precautions = precautions_from({flag: True, "skin_lesion_site": "left calf"})
    assert fields(session_problems(precautions=precautions, points=[GB34])) == ["cautions_acknowledged"]


def test_pregnancy_and_device_together_report_both():
    precautions = precautions_from({"pregnant": True, "pregnancy_weeks": 30, "implanted_device": True})
    problems = session_problems(precautions=precautions, points=[BL23], electro_points=[BL23, BL40])
    assert sorted(fields(problems)) == ["electro", "electro", "override_reason"]


@pytest.mark.parametrize(
    ("used", "consented", "missing"),
    [
        ({"needling"}, {"needling"}, []),
        ({"needling", "electroacupuncture"}, {"needling"}, ["electroacupuncture"]),
        ({"cupping"}, set(), ["cupping"]),
        ({"tui_na", "moxibustion"}, {"tui_na"}, ["moxibustion"]),
    ],
)
def test_every_modality_used_needs_consent(used, consented, missing):
    problems = session_problems(precautions=[], modalities_used=used, consented=consented)
    assert len(problems) == len(missing)
    for modality, problem in zip(missing, problems, strict=True):
        assert problem.field == "__all__"
        assert modality.replace("_", " ") in problem.message.lower().replace("tui na", "tui na")
