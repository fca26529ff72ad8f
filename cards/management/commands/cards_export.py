from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards import exports
from cards.models import CardBatch


class Command(BaseCommand):
    help = "Write a batch's print-shop file: CSV (number, PIN), PDF sheets, or a zip of PNG barcodes."

    def add_arguments(self, parser):
        parser.add_argument("batch", help="batch id")
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--out", required=True, help="file to write")

    def handle(self, *args, batch, format, out, **options):
        if not batch.isdigit():
            raise CommandError(f"The batch id must be a number, not {batch!r}.")
        found = CardBatch.objects.filter(pk=int(batch)).first()
        if found is None:
            raise CommandError(f"There is no card batch {batch}.")
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("wb") as handle:
                exports.export_batch(found, format, handle)
            partial.replace(path)  # a killed export never leaves a half file under the real name
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Could not write {path}: {error.strerror}.") from None
        self.stdout.write(str(path))
