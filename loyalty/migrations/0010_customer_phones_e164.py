"""Phones stored before E.164 ('01512345678' as a till typed it) become E.164 ('+491512345678'), read with
the chain's PHONE_DEFAULT_REGION; a phone that cannot be read as one is left as it is (a manager fixes it in
the admin, where saving asks for a valid one). Backwards: nothing to undo, the new form is kept."""

import phonenumbers
from django.conf import settings
from django.db import migrations


def to_e164(apps, schema_editor):
    Customer = apps.get_model("loyalty", "Customer")
    region = getattr(settings, "PHONE_DEFAULT_REGION", "DE")
    changed = []
    for customer in Customer.objects.only("pk", "phone").iterator(chunk_size=2000):
        try:
            number = phonenumbers.parse(customer.phone, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_possible_number(number):
            continue
        phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phone != customer.phone:
            customer.phone = phone
            changed.append(customer)
        if len(changed) >= 2000:
            Customer.objects.bulk_update(changed, ["phone"])
            changed = []
    Customer.objects.bulk_update(changed, ["phone"])


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0009_spend_entry_clawback")]

    operations = [migrations.RunPython(to_e164, migrations.RunPython.noop, elidable=True)]
