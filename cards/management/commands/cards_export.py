from django.core.management.base import BaseCommand, CommandError

from cards import exports
from cards.models import CardBatch
from core.files import CannotWrite, write_whole


class Command(BaseCommand):
    help = "Write a batch's print-shop file: CSV (number, PIN), PDF sheets, or a zip of PNG barcodes."

    def add_arguments(self, parser):
        parser.add_argument("batch", help="batch id")
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument(
            "--back", action="store_true", help="PDF only: a back sheet after each sheet (PIN, sign-in address, terms)"
        )

    def handle(self, *args, batch, format, out, back=False, **options):
        if back and format != "pdf":
            raise CommandError("--back is for the PDF only (the CSV has the PINs; a PNG is one barcode).")
        if not batch.isdigit():
            raise CommandError(f"The batch id must be a number, not {batch!r}.")
        found = CardBatch.objects.filter(pk=int(batch)).first()
        if found is None:
            raise CommandError(f"There is no card batch {batch}.")
        try:
            path = write_whole(out, lambda handle: exports.export_batch(found, format, handle, back=back))
        except CannotWrite as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(path))
