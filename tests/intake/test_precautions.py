from intake import rules


def keys(screen):
    return [(p.key, p.level) for p in rules.precautions_from(screen)]


def test_no_precautions():
    assert rules.precautions_from({}) == []


def test_pregnancy_blocks_with_weeks_in_the_label():
    (precaution,) = rules.precautions_from({"pregnant": True, "pregnancy_weeks": 14})
    assert precaution.key == "pregnancy"
    assert precaution.level == rules.BLOCK
    assert precaution.label == "Pregnant (14 weeks)"
    assert "LI4, SP6, BL60, BL67, GB21" in precaution.advice


def test_implanted_device_blocks_electroacupuncture():
    assert keys({"implanted_device": True}) == [("implanted_device", rules.BLOCK)]


def test_anticoagulants_are_a_caution():
    (precaution,) = rules.precautions_from({"anticoagulants": True})
    assert precaution.level == rules.CAUTION
    assert "Tui Na or superficial needling" in precaution.advice


def test_needle_phobia_metal_allergy_and_skin_lesion_are_cautions():
    found = keys({"needle_phobia": True, "metal_allergy": True, "skin_lesion": True, "skin_lesion_site": "L calf"})
    assert found == [("needle_phobia", "caution"), ("metal_allergy", "caution"), ("skin_lesion", "caution")]
    assert "L calf" in rules.precautions_from({"skin_lesion": True, "skin_lesion_site": "L calf"})[0].label


def test_blocks_come_before_cautions():
    found = keys({"needle_phobia": True, "implanted_device": True, "pregnant": True, "pregnancy_weeks": 20})
    assert [level for _, level in found] == ["block", "block", "caution"]


def test_pregnancy_point_lists():
    assert {"LI4", "SP6", "BL60", "BL67", "GB21"} == rules.PREGNANCY_FORBIDDEN_POINTS
    assert rules.PREGNANCY_FORBIDDEN_REGIONS <= rules.TRUNK_REGIONS
