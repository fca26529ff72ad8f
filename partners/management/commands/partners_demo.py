from django.core.management.base import BaseCommand

from partners.demo import build_partners_demo


class Command(BaseCommand):
    help = "The demo's business customer (the worked example, last full month) and partner; loyalty_demo runs it."

    def handle(self, *args, **options):
        for line in build_partners_demo():
            self.stdout.write(line)
