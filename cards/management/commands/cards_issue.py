from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cards.numbers import DEFAULT_PREFIX
from cards.services import batch_issue, validate_batch_request
from core.errors import DomainError
from loyalty.models import Programme


class Command(BaseCommand):
    help = "Issue a batch of pre-numbered cards. Prints the batch id last."

    def add_arguments(self, parser):
        # A string, so "abc" or "-5" gets our one clear line rather than argparse's usage dump.
        parser.add_argument("--count", required=True, help=f"number of cards, 1 to {settings.CARDS_MAX_BATCH:,}")
        parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="three digits after the leading 2")
        parser.add_argument("--name", default="", help="a label for the print job")
        parser.add_argument("--program", default=None, help="programme code (default: the chain's default)")

    def handle(self, *args, count, prefix, name, program, **options):
        try:
            count, prefix = validate_batch_request(count=count, prefix=prefix)
            chosen = None
            if program:
                chosen = Programme.objects.filter(code=program).first() if program.isprintable() else None
                if chosen is None:
                    raise CommandError(f"There is no programme with code {program!r}.")
            with tqdm(total=count, unit="card", file=self.stderr, disable=options["verbosity"] == 0) as bar:
                batch = batch_issue(count=count, prefix=prefix, name=name, programme=chosen, on_progress=bar.update)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(str(batch.pk))
