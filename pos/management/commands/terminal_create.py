from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from core.errors import InvalidInput
from core.text import plain_text
from pos.actors import terminal_create
from pos.models import Store


class Command(BaseCommand):
    help = "Create a terminal (and its store if new). Prints the terminal's token last: it is shown only once."

    def add_arguments(self, parser):
        parser.add_argument("--store", required=True, help="store code, e.g. berlin-1")
        parser.add_argument("--name", required=True, help="terminal name, unique within the store")
        parser.add_argument("--store-name", default="", help="name of the store if it is new")

    def handle(self, *args, store, name, store_name, **options):
        code, name = store.strip().lower(), name.strip()
        if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 20:
            raise CommandError(f"The store code must be 1-20 letters, digits, - or _, not {store!r}.")
        try:
            name = plain_text(name, field="terminal_name", max_length=60, required=True)
            store_name = plain_text(store_name, field="store_name", max_length=Store._meta.get_field("name").max_length)
        except InvalidInput as error:
            raise CommandError(error.message) from None
        try:
            with transaction.atomic():
                shop, created = Store.objects.get_or_create(code=code, defaults={"name": store_name or code})
                terminal, token = terminal_create(store=shop, name=name)
        except IntegrityError:
            raise CommandError(f"Store {code} already has a terminal named {name!r}.") from None
        if created:
            self.stderr.write(f"Created store {code}.")
        self.stderr.write(f"Terminal {terminal} created. Keep the token: it is not stored and cannot be shown again.")
        self.stdout.write(token)
