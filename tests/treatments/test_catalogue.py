"""The catalogue as the data migration loads it into the database."""

import pytest

from treatments.codes import MERIDIAN_COUNTS
from treatments.models import Fee, Point, Protocol

pytestmark = pytest.mark.django_db


def test_the_migration_loads_the_361_who_points_with_per_meridian_counts():
    for meridian, count in MERIDIAN_COUNTS.items():
        assert Point.objects.filter(meridian=meridian).count() == count, meridian
    assert Point.objects.exclude(meridian="EX").count() == 361


def test_back_pain_extra_points_are_there():
    assert Point.objects.get(code="EX-B2").pinyin == "Jiaji"
    assert Point.objects.get(code="EX-B7").pinyin == "Yaoyan"


@pytest.mark.parametrize(
    ("code", "pinyin", "hanzi"),
    [("BL23", "Shenshu", "肾俞"), ("GB30", "Huantiao", "环跳"), ("BL40", "Weizhong", "委中"), ("LI4", "Hegu", "合谷")],
)
def test_sample_names(code, pinyin, hanzi):
    point = Point.objects.get(code=code)
    assert (point.pinyin, point.hanzi) == (pinyin, hanzi)


@pytest.mark.parametrize(
    ("typed", "first"),
    [("gb3", "GB3"), ("GB-30", "GB30"), ("huantiao", "GB30"), ("Jumping", "GB30"), ("bl 23", "BL23"), ("sj5", "TE5")],
)
def test_picker_finds_points_by_code_or_name(typed, first):
    assert Point.objects.search(typed).first().code == first


def test_picker_gb3_lists_the_gb30s():
    codes = list(Point.objects.search("gb3").values_list("code", flat=True))
    assert codes[:2] == ["GB3", "GB30"]
    assert "GB39" in codes


def test_picker_ignores_blank():
    assert not Point.objects.search("  ").exists()


def test_sciatica_protocol_and_fees_are_seeded():
    protocol = Protocol.objects.get(name="Sciatica (clinic)")
    codes = list(protocol.protocol_points.values_list("point__code", flat=True))
    assert codes == ["BL23", "BL25", "BL40", "BL60", "GB30", "GB34"]
    assert Fee.objects.filter(cpt_code__in=["97810", "97811", "97813", "97814", "97140"]).count() == 5


def test_point_picker_view(lac_client):
    from django.urls import reverse

    body = lac_client.get(reverse("treatments:point-search"), {"q": "gb3"}).content.decode()
    assert body.index("GB3 ") < body.index("GB30 Huantiao")
