"""Point reference data (treatments/data/points.csv) and the pure code helpers in treatments.codes.

No database: these only read the CSV and call pure functions.
"""

from collections import Counter, defaultdict

import pytest

from treatments.codes import (
    ALIASES,
    EX_REGIONS,
    MERIDIAN_COUNTS,
    REGIONS,
    PointRow,
    load_points_csv,
    normalise_point_code,
    suggest,
)


@pytest.fixture(scope="module")
def rows() -> list[PointRow]:
    return load_points_csv()


@pytest.fixture(scope="module")
def by_code(rows: list[PointRow]) -> dict[str, PointRow]:
    return {row["code"]: row for row in rows}


@pytest.fixture(scope="module")
def regular(rows: list[PointRow]) -> list[PointRow]:
    return [row for row in rows if row["meridian"] != "EX"]


# --- the CSV ---------------------------------------------------------------------------------


def test_meridian_counts_constant():
    assert list(MERIDIAN_COUNTS) == ["LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR", "GV", "CV"]
    assert sum(MERIDIAN_COUNTS.values()) == 361


def test_per_meridian_counts(regular: list[PointRow]):
    assert Counter(row["meridian"] for row in regular) == Counter(MERIDIAN_COUNTS)
    assert len(regular) == 361


def test_only_known_meridians(rows: list[PointRow]):
    assert {row["meridian"] for row in rows} == set(MERIDIAN_COUNTS) | {"EX"}


def test_codes_unique(rows: list[PointRow]):
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))


def test_numbers_contiguous_per_meridian(regular: list[PointRow]):
    numbers: dict[str, list[int]] = defaultdict(list)
    for row in regular:
        numbers[row["meridian"]].append(row["number"])
    for meridian, count in MERIDIAN_COUNTS.items():
        assert numbers[meridian] == list(range(1, count + 1)), meridian


def test_regular_codes_are_meridian_plus_number(regular: list[PointRow]):
    for row in regular:
        assert row["code"] == f"{row['meridian']}{row['number']}"


def test_ex_codes_are_region_plus_number(rows: list[PointRow]):
    ex_rows = [row for row in rows if row["meridian"] == "EX"]
    assert ex_rows
    for row in ex_rows:
        region = row["code"].removeprefix("EX-").removesuffix(str(row["number"]))
        assert region in EX_REGIONS, row["code"]
        assert row["code"] == f"EX-{region}{row['number']}"


def test_every_code_is_already_normalised(rows: list[PointRow]):
    for row in rows:
        assert normalise_point_code(row["code"]) == row["code"]


def test_every_row_complete(rows: list[PointRow]):
    for row in rows:
        assert row["pinyin"] and row["pinyin"].isascii() and row["pinyin"][0].isupper(), row["code"]
        assert row["hanzi"] and not row["hanzi"].isascii(), row["code"]
        assert row["english"], row["code"]
        assert row["region"] in REGIONS, row["code"]


@pytest.mark.parametrize(
    ("code", "pinyin", "hanzi", "english"),
    [
        ("LI4", "Hegu", "合谷", "Union Valley"),
        ("SP6", "Sanyinjiao", "三阴交", "Three Yin Intersection"),
        ("BL40", "Weizhong", "委中", "Bend Middle"),
        ("BL60", "Kunlun", "昆仑", "Kunlun Mountains"),
        ("BL67", "Zhiyin", "至阴", "Reaching Yin"),
        ("GB21", "Jianjing", "肩井", "Shoulder Well"),
        ("GB30", "Huantiao", "环跳", "Jumping Round"),
        ("GB34", "Yanglingquan", "阳陵泉", "Yang Mound Spring"),
        ("ST36", "Zusanli", "足三里", "Leg Three Li"),
        ("BL23", "Shenshu", "肾俞", "Kidney Shu"),
        ("BL25", "Dachangshu", "大肠俞", "Large Intestine Shu"),
        ("GV4", "Mingmen", "命门", "Life Gate"),
        ("CV4", "Guanyuan", "关元", "Origin Pass"),
        ("TE5", "Waiguan", "外关", "Outer Pass"),
        ("LR3", "Taichong", "太冲", "Supreme Surge"),
        ("KI3", "Taixi", "太溪", "Great Ravine"),
        ("PC6", "Neiguan", "内关", "Inner Pass"),
        ("GV20", "Baihui", "百会", "Hundred Convergences"),
    ],
)
def test_well_known_names(by_code: dict[str, PointRow], code: str, pinyin: str, hanzi: str, english: str):
    row = by_code[code]
    assert (row["pinyin"], row["hanzi"], row["english"]) == (pinyin, hanzi, english)


@pytest.mark.parametrize(
    ("code", "pinyin", "hanzi"),
    [
        ("BL41", "Fufen", "附分"),  # WHO order: the outer line starts at BL41 ...
        ("BL54", "Zhibian", "秩边"),  # ... and ends at BL54
        ("BL36", "Chengfu", "承扶"),
        ("KI27", "Shufu", "俞府"),
        ("GV28", "Yinjiao", "龈交"),
        ("CV24", "Chengjiang", "承浆"),
        ("GB44", "Zuqiaoyin", "足窍阴"),
        ("LR14", "Qimen", "期门"),
        ("TE23", "Sizhukong", "丝竹空"),
    ],
)
def test_who_numbering(by_code: dict[str, PointRow], code: str, pinyin: str, hanzi: str):
    assert (by_code[code]["pinyin"], by_code[code]["hanzi"]) == (pinyin, hanzi)


def test_yintang_is_an_extra_point_not_gv(rows: list[PointRow], by_code: dict[str, PointRow]):
    assert "GV29" not in by_code
    assert [row["code"] for row in rows if row["pinyin"] == "Yintang"] == ["EX-HN3"]


@pytest.mark.parametrize(
    ("code", "number", "pinyin", "hanzi"),
    [
        ("EX-HN1", 1, "Sishencong", "四神聪"),
        ("EX-HN3", 3, "Yintang", "印堂"),
        ("EX-HN5", 5, "Taiyang", "太阳"),
        ("EX-B1", 1, "Dingchuan", "定喘"),
        ("EX-B2", 2, "Jiaji", "夹脊"),
        ("EX-B7", 7, "Yaoyan", "腰眼"),
        ("EX-B8", 8, "Shiqizhui", "十七椎"),
        ("EX-UE7", 7, "Yaotongdian", "腰痛点"),
        ("EX-LE2", 2, "Heding", "鹤顶"),
        ("EX-LE4", 4, "Neixiyan", "内膝眼"),
        ("EX-LE5", 5, "Xiyan", "膝眼"),
        ("EX-LE6", 6, "Dannang", "胆囊"),
        ("EX-LE7", 7, "Lanwei", "阑尾"),
        ("EX-LE10", 10, "Bafeng", "八风"),
    ],
)
def test_extra_points(by_code: dict[str, PointRow], code: str, number: int, pinyin: str, hanzi: str):
    row = by_code[code]
    assert row["meridian"] == "EX"
    assert (row["number"], row["pinyin"], row["hanzi"]) == (number, pinyin, hanzi)


# Regions matter for the pregnancy / electroacupuncture rules, so pin the conservative choices.
LOWER_ABDOMEN = (
    [f"CV{n}" for n in range(1, 9)]
    + [f"ST{n}" for n in range(25, 31)]
    + [f"KI{n}" for n in range(11, 17)]
    + ["SP12", "SP13", "SP14", "SP15", "LR12", "GB26", "GB27", "GB28", "EX-CA1"]
)
LUMBOSACRAL = (
    [f"BL{n}" for n in range(22, 36)]
    + [f"BL{n}" for n in range(51, 55)]
    + [f"GV{n}" for n in range(1, 6)]
    + ["GB25", "GB29", "GB30", "EX-B2", "EX-B7", "EX-B8"]
)


def test_lower_abdomen_points(rows: list[PointRow], by_code: dict[str, PointRow]):
    for code in LOWER_ABDOMEN:
        assert by_code[code]["region"] == "lower_abdomen", code
    assert {row["code"] for row in rows if row["region"] == "lower_abdomen"} == set(LOWER_ABDOMEN)


def test_lumbosacral_points(rows: list[PointRow], by_code: dict[str, PointRow]):
    for code in LUMBOSACRAL:
        assert by_code[code]["region"] == "lumbosacral", code
    extra = {row["code"] for row in rows if row["region"] == "lumbosacral"} - set(LUMBOSACRAL)
    assert extra == {"EX-B4", "EX-B5", "EX-B6", "EX-B9"}


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("CV9", "upper_abdomen"),
        ("CV12", "upper_abdomen"),
        ("ST24", "upper_abdomen"),
        ("CV17", "chest"),
        ("LU1", "chest"),
        ("BL21", "upper_back"),
        ("BL50", "upper_back"),
        ("GV14", "upper_back"),
        ("GB21", "upper_back"),
        ("BL36", "lower_limb"),
        ("BL40", "lower_limb"),
        ("ST31", "lower_limb"),
        ("GB20", "neck"),
        ("GV20", "head"),
        ("LI4", "upper_limb"),
    ],
)
def test_other_regions(by_code: dict[str, PointRow], code: str, region: str):
    assert by_code[code]["region"] == region


def test_load_points_csv_explicit_path(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(
        "code,meridian,number,pinyin,hanzi,english,region\nLU1,LU,1,Zhongfu,中府,Central Treasury,chest\n",
        encoding="utf-8",
    )
    assert load_points_csv(path) == [
        {
            "code": "LU1",
            "meridian": "LU",
            "number": 1,
            "pinyin": "Zhongfu",
            "hanzi": "中府",
            "english": "Central Treasury",
            "region": "chest",
        }
    ]


def test_load_points_csv_rejects_missing_column(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("code,meridian,number\nLU1,LU,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        load_points_csv(path)


# --- normalise_point_code --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BL23", "BL23"),
        ("bl 23", "BL23"),
        ("BL-23", "BL23"),
        ("Bl23", "BL23"),
        ("bl023", "BL23"),
        (" BL 23 ", "BL23"),
        ("BL 023", "BL23"),
        ("gb30", "GB30"),
        ("St-36", "ST36"),
        ("sj5", "TE5"),
        ("SJ-5", "TE5"),
        ("te5", "TE5"),
        ("liv3", "LR3"),
        ("LV3", "LR3"),
        ("du4", "GV4"),
        ("Du-20", "GV20"),
        ("ren4", "CV4"),
        ("REN-4", "CV4"),
        ("ub40", "BL40"),
        ("k3", "KI3"),
        ("h7", "HT7"),
        ("pe6", "PC6"),
        ("tw5", "TE5"),
        ("tb5", "TE5"),
        ("ex-b2", "EX-B2"),
        ("EXB2", "EX-B2"),
        ("ex b 2", "EX-B2"),
        ("EX-B02", "EX-B2"),
        ("Ex-B-7", "EX-B7"),
        ("exle7", "EX-LE7"),
        ("ex-hn3", "EX-HN3"),
        ("ex-ue7", "EX-UE7"),
        ("EX-LE10", "EX-LE10"),
        ("ex-ca1", "EX-CA1"),
        ("ＢＬ２３", "BL23"),  # full-width input from a CJK keyboard
        ("BL\u201323", "BL23"),  # en dash
        ("BL99", "BL99"),  # spelling only: existence is checked elsewhere
    ],
)
def test_normalise(raw: str, expected: str):
    assert normalise_point_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "23",
        "BL",
        "BL-",
        "hello",
        "-23",
        "BL0",
        "BL00",
        "BL23A",
        "XX5",
        "P6",  # ambiguous (Pericardium / French Poumon): not aliased
        "S36",  # ambiguous (Stomach / Spleen): not aliased
        "B23",  # ambiguous with EX-B: not aliased
        "EX",
        "EX-",
        "EX-B",
        "EX-XY2",
        "EX-B0",
        "BL1000",
        "23BL",
        "BL 2 3 x",
    ],
)
def test_normalise_garbage(raw: str):
    assert normalise_point_code(raw) is None


def test_normalise_non_string():
    assert normalise_point_code(None) is None  # type: ignore[arg-type]
    assert normalise_point_code(23) is None  # type: ignore[arg-type]


def test_required_aliases():
    assert ALIASES["SJ"] == "TE"
    assert ALIASES["LIV"] == "LR"
    assert ALIASES["DU"] == "GV"
    assert ALIASES["REN"] == "CV"


def test_aliases_never_shadow_a_real_prefix():
    for alias, target in ALIASES.items():
        assert alias not in MERIDIAN_COUNTS, alias
        assert alias != "EX"
        assert target in MERIDIAN_COUNTS, alias
    for ambiguous in ("P", "S", "L", "B", "R", "C", "E", "F", "G", "V"):
        assert ambiguous not in ALIASES


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_alias_normalises(alias: str):
    assert normalise_point_code(f"{alias.lower()} 1") == f"{ALIASES[alias]}1"


# --- suggest ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known(rows: list[PointRow]) -> list[str]:
    return [row["code"] for row in rows]


def test_suggest_same_meridian_nearest_first(known: list[str]):
    assert suggest("BL68", known) == ["BL67", "BL66", "BL65"]
    assert suggest("GB45", known) == ["GB44", "GB43", "GB42"]
    assert suggest("LU12", known, limit=2) == ["LU11", "LU10"]


def test_suggest_normalises_first(known: list[str]):
    assert suggest("bl 68", known) == ["BL67", "BL66", "BL65"]
    assert suggest("sj24", known) == ["TE23", "TE22", "TE21"]


def test_suggest_extra_points(known: list[str]):
    assert suggest("EX-B10", known) == ["EX-B9", "EX-B8", "EX-B7"]


def test_suggest_missing_middle_number():
    assert suggest("BL23", ["BL21", "BL22", "BL24", "BL25", "GB23"]) == ["BL22", "BL24", "BL21"]


def test_suggest_known_code_returns_itself(known: list[str]):
    assert suggest("liv3", known) == ["LR3"]


def test_suggest_falls_back_to_difflib(known: list[str]):
    result = suggest("BLL23", known)
    assert result
    assert len(result) <= 3
    assert set(result) <= set(known)
    assert "BL23" in result


def test_suggest_fills_with_difflib_when_meridian_is_short():
    assert suggest("HT12", ["HT9", "HT1", "HT2", "ST12"], limit=4) == ["HT9", "HT2", "HT1", "ST12"]


def test_suggest_limit_and_empty(known: list[str]):
    assert suggest("BL68", known, limit=1) == ["BL67"]
    assert suggest("BL68", known, limit=0) == []
    assert suggest("BL68", []) == []
    assert suggest("", known) == []
    assert suggest("zzzzzz", known) == []
