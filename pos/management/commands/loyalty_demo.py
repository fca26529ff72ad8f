from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from pos.demo import build_demo
from pos.demo_giftcards import build_gift_cards
from pos.demo_history import build_history


class Command(BaseCommand):
    help = "Create a ready demo with a year of receipts (safe to run twice). Prints the logins and tokens."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run with DJANGO_DEBUG off too (the demo's logins and tokens are published in the README)",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "refusing to create the demo with DJANGO_DEBUG off: its logins and tokens are public "
                "(pass --allow-production for a trial install)"
            )
        for line in [*build_demo(), *build_gift_cards(), *build_history()]:
            self.stdout.write(line)
        if apps.is_installed("partners"):  # named, not imported: partners sits above pos
            call_command("partners_demo", stdout=self.stdout)
