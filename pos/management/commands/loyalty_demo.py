from django.core.management.base import BaseCommand

from pos.demo import build_demo


class Command(BaseCommand):
    help = "Create a ready demo (safe to run twice). Prints the logins and tokens."

    def handle(self, *args, **options):
        for line in build_demo():
            self.stdout.write(line)
