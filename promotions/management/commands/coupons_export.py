from django.core.management.base import BaseCommand, CommandError

from core.files import CannotWrite, write_whole
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
        try:
            path = write_whole(out, lambda handle: exports.export_batch(found, format, handle))
        except CannotWrite as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(path))
