from django.core.management.base import BaseCommand

from pos.demo import build_demo
from pos.demo_history import build_history


class Command(BaseCommand):
    help = "Create a ready demo with a year of receipts (safe to run twice). Prints the logins and tokens."

    def handle(self, *args, **options):
        for line in [*build_demo(), *build_history()]:
            self.stdout.write(line)
