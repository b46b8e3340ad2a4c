import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Patient
from records.export import write_ndjson


class Command(BaseCommand):
    help = (
        "Export every patient's record as FHIR R4 bulk NDJSON: one file per resource type (Patient.ndjson, "
        "Practitioner.ndjson, ...) in --out, streamed from the database. One audit entry names every patient."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The directory to write the .ndjson files into.")
        parser.add_argument(
            "--to", default="a FHIR bulk export from the command line", help="Who the export is for (the audit trail)."
        )
        parser.add_argument("--patient", type=int, action="append", help="Export only this patient (repeatable).")

    def handle(self, *args, **options):
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a directory.")
        patients = Patient.objects.all()
        if options["patient"]:
            patients = patients.filter(pk__in=options["patient"])
        started = time.monotonic()
        counts = write_ndjson(patients, out, to=options["to"])
        for kind, count in counts.items():
            self.stdout.write(f"{kind}.ndjson: {count} resources")
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {sum(counts.values())} resources to {out} in {time.monotonic() - started:.1f} s."
            )
        )
