"""One test per red flag (docs/clinical-rules.md, "Red flags"), plus the findings that count as flags."""

import pytest

from intake import rules

NONE_POSITIVE = dict.fromkeys(rules.RED_FLAG_KEYS, False)


def screen(**answers):
    return {**NONE_POSITIVE, **answers}


def test_a_clean_screen_has_no_flags():
    assert rules.positive_red_flags(NONE_POSITIVE) == []


def test_saddle_anaesthesia():
    assert rules.positive_red_flags(screen(saddle_anaesthesia=True)) == ["saddle_anaesthesia"]


def test_new_bladder_dysfunction():
    assert rules.positive_red_flags(screen(bladder_dysfunction=True)) == ["bladder_dysfunction"]


def test_new_bowel_incontinence():
    assert rules.positive_red_flags(screen(bowel_incontinence=True)) == ["bowel_incontinence"]


def test_bilateral_sciatica():
    assert rules.positive_red_flags(screen(bilateral_sciatica=True)) == ["bilateral_sciatica"]


def test_progressive_or_severe_motor_weakness():
    assert rules.positive_red_flags(screen(motor_weakness=True)) == ["motor_weakness"]


def test_sexual_dysfunction_of_recent_onset():
    assert rules.positive_red_flags(screen(sexual_dysfunction=True)) == ["sexual_dysfunction"]


def test_unremitting_night_pain():
    assert rules.positive_red_flags(screen(night_pain=True)) == ["night_pain"]


def test_history_of_cancer():
    assert rules.positive_red_flags(screen(cancer_history=True)) == ["cancer_history"]


def test_unexplained_weight_loss():
    assert rules.positive_red_flags(screen(weight_loss=True)) == ["weight_loss"]


def test_fever_or_recent_infection():
    assert rules.positive_red_flags(screen(fever_infection=True)) == ["fever_infection"]


def test_iv_drug_use_or_immunosuppression():
    assert rules.positive_red_flags(screen(immunosuppression=True)) == ["immunosuppression"]


def test_significant_trauma_or_minor_trauma_with_osteoporosis():
    assert rules.positive_red_flags(screen(significant_trauma=True)) == ["significant_trauma"]


def test_every_flag_in_the_design_has_a_question():
    assert len(rules.RED_FLAGS) == 12
    assert len(rules.CAUDA_EQUINA_KEYS) == 6
    assert all(flag.question.endswith("?") for flag in rules.RED_FLAGS)


def test_several_flags_come_back_in_screen_order():
    flags = rules.positive_red_flags(screen(weight_loss=True, saddle_anaesthesia=True))
    assert flags == ["saddle_anaesthesia", "weight_loss"]


def test_pain_in_both_legs_below_the_knee_is_bilateral_sciatica_even_if_answered_no():
    flags = rules.positive_red_flags(NONE_POSITIVE, pain_side="both", radiates_below_knee=True)
    assert flags == ["bilateral_sciatica"]


def test_pain_in_both_buttocks_without_radiation_is_not_bilateral_sciatica():
    assert rules.positive_red_flags(NONE_POSITIVE, pain_side="both", radiates_below_knee=False) == []


def test_one_sided_sciatica_below_the_knee_is_not_a_red_flag():
    assert rules.positive_red_flags(NONE_POSITIVE, pain_side="left", radiates_below_knee=True) == []


@pytest.mark.parametrize(("strength", "flagged"), [(0, True), (2, True), (3, True), (4, False), (5, False)])
def test_weak_ankle_dorsiflexion_on_exam_is_motor_weakness(strength, flagged):
    flags = rules.positive_red_flags(NONE_POSITIVE, dorsiflexion_strength=(5, strength))
    assert (flags == ["motor_weakness"]) is flagged


def test_unrecorded_strength_is_not_a_finding():
    assert rules.positive_red_flags(NONE_POSITIVE, dorsiflexion_strength=(None, None)) == []


def test_unanswered_questions_are_listed_and_not_treated_as_no():
    answers = {**NONE_POSITIVE, "night_pain": None, "saddle_anaesthesia": None}
    assert rules.unanswered_red_flags(answers) == ["saddle_anaesthesia", "night_pain"]
    assert rules.unanswered_red_flags({}) == list(rules.RED_FLAG_KEYS)


@pytest.mark.parametrize("key", rules.CAUDA_EQUINA_KEYS)
def test_cauda_equina_flags_are_emergencies(key):
    assert rules.is_emergency([key])


@pytest.mark.parametrize("key", [f.key for f in rules.RED_FLAGS if f.group == rules.SERIOUS_PATHOLOGY])
def test_serious_pathology_flags_are_urgent_but_not_emergencies(key):
    assert not rules.is_emergency([key])


def test_describe_flags_uses_the_labels():
    assert rules.describe_flags(["saddle_anaesthesia", "cancer_history"]) == "Saddle anaesthesia; History of cancer"
