from django.core.management.base import BaseCommand, CommandError

from core.files import CannotWrite, write_whole
from giftcards import exports
from giftcards.models import GiftCardBatch


class Command(BaseCommand):
    help = "Write a gift card batch's print file: CSV (number, pin) or print-ready PDF sheets."

    def add_arguments(self, parser):
        parser.add_argument("batch", help="gift card batch id")
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--out", required=True, help="file to write")

    def handle(self, *args, batch, format, out, **options):
        if not batch.isdigit():
            raise CommandError(f"The batch id must be a number, not {batch!r}.")
        found = GiftCardBatch.objects.filter(pk=int(batch)).first()
        if found is None:
            raise CommandError(f"There is no gift card batch {batch}.")
        try:
            path = write_whole(out, lambda handle: exports.export_batch(found, format, handle))
        except CannotWrite as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(path))
