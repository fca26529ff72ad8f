from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from promotions import exports
from promotions.models import CouponBatch


class Command(BaseCommand):
    help = "Write a coupon batch's print file: CSV (column code) or print-ready PDF sheets with barcodes."

    def add_arguments(self, parser):
        parser.add_argument("batch", help="batch id")
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--out", required=True, help="file to write")

    def handle(self, *args, batch, format, out, **options):
        if not batch.isdigit():
            raise CommandError(f"The batch id must be a number, not {batch!r}.")
        found = CouponBatch.objects.select_related("campaign").filter(pk=int(batch)).first()
        if found is None:
            raise CommandError(f"There is no coupon batch {batch}.")
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
