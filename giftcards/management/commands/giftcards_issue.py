from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.errors import DomainError
from giftcards.services import gift_cards_issue


class Command(BaseCommand):
    help = "Issue a batch of gift cards (numbers 29…) under the chain's rules. Prints the batch id last."

    def add_arguments(self, parser):
        # Strings, so "abc" or "-5" gets our one clear line rather than argparse's usage dump.
        parser.add_argument("--count", required=True, help=f"number of cards, 1 to {settings.CARDS_MAX_BATCH:,}")
        parser.add_argument("--name", default="", help="a label for the print job")
        parser.add_argument("--min-load", default="5.00", help="the least a sale or top-up loads (default 5.00)")
        parser.add_argument("--max-balance", default="500.00", help="the most a card holds (default 500.00)")
        parser.add_argument("--no-top-ups", action="store_true", help="a card is loaded once, when sold")
        parser.add_argument(
            "--validity-years", default="3", help="years from the sale (at least the law's minimum), or 'none'"
        )

    def handle(self, *args, count, name, min_load, max_balance, no_top_ups, validity_years, **options):
        try:
            years = None if validity_years.strip().lower() == "none" else int(validity_years)
            low, high = Decimal(min_load), Decimal(max_balance)
        except (ValueError, InvalidOperation):
            message = "--min-load and --max-balance are amounts, --validity-years a whole number or none."
            raise CommandError(message) from None
        try:
            with tqdm(total=None, unit="card", file=self.stderr, disable=options["verbosity"] == 0) as bar:
                batch = gift_cards_issue(
                    count=count, name=name, min_load=low, max_balance=high, top_ups_allowed=not no_top_ups,
                    validity_years=years, on_progress=bar.update,
                )  # fmt: skip
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(str(batch.pk))
