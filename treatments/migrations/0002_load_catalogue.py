"""Load the WHO point catalogue, a clinic-wide sciatica protocol and default fees."""

from decimal import Decimal

from django.db import migrations

from treatments.codes import load_points_csv

SCIATICA_PROTOCOL = ["BL23", "BL25", "BL40", "BL60", "GB30", "GB34"]
LOW_BACK_PROTOCOL = ["BL23", "BL25", "BL40", "GV4", "EX-B7", "EX-B2"]
FEES = {"97810": "75.00", "97811": "55.00", "97813": "85.00", "97814": "60.00", "97140": "45.00"}


def load(apps, schema_editor):
    Point = apps.get_model("treatments", "Point")
    Protocol = apps.get_model("treatments", "Protocol")
    ProtocolPoint = apps.get_model("treatments", "ProtocolPoint")
    Fee = apps.get_model("treatments", "Fee")
    Point.objects.bulk_create(
        Point(
            code=row["code"],
            meridian=row["meridian"],
            number=row["number"],
            pinyin=row["pinyin"],
            hanzi=row["hanzi"],
            english=row["english"],
            region=row["region"],
        )
        for row in load_points_csv()
    )
    by_code = {p.code: p for p in Point.objects.all()}
    for name, codes, description in [
        ("Sciatica (clinic)", SCIATICA_PROTOCOL, "Kidney Shu, Large Intestine Shu and the Bladder/Gallbladder channels."),
        ("Low back pain (clinic)", LOW_BACK_PROTOCOL, "Local and distal points for axial low back pain."),
    ]:
        protocol = Protocol.objects.create(name=name, description=description)
        ProtocolPoint.objects.bulk_create(
            ProtocolPoint(protocol=protocol, point=by_code[code], position=index, side="M" if code == "GV4" else "B")
            for index, code in enumerate(codes)
        )
    Fee.objects.bulk_create(Fee(cpt_code=code, amount=Decimal(amount)) for code, amount in FEES.items())


def unload(apps, schema_editor):
    apps.get_model("treatments", "ProtocolPoint").objects.all().delete()
    apps.get_model("treatments", "Protocol").objects.filter(owner__isnull=True).delete()
    apps.get_model("treatments", "Point").objects.all().delete()
    apps.get_model("treatments", "Fee").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
