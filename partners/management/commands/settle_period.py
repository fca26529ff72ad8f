from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import DomainError
from partners.services import settle_period


class Command(BaseCommand):
    help = (
        "Settle the business customers' and partners' agreements whose month, quarter or year ends with this "
        "month: a statement each, once (a rerun makes nothing new)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--dry-run", action="store_true", help="show what would be made, write nothing")

    def handle(self, *args, period, dry_run, **options):
        try:
            run = settle_period(month=period, at=timezone.now(), dry_run=dry_run)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(run.summary())
