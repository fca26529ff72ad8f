"""What the customer page keeps of its own: the customer's yes to reminder e-mails, and which reminders
went out (so that a retried task never sends one twice)."""

from django.conf import settings
from django.db import models

from loyalty.models import Account, Customer


class ReminderConsent(models.Model):
    """A customer's choice about reminder e-mails (points about to burn, a new level reached), made on /my/
    or by the unsubscribe link. No row: never asked, so no e-mails. Marketing is a separate consent."""

    # CASCADE: a customer merged into another (loyalty.services.customers) takes their choice with them;
    # the kept record's own choice stands.
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="reminders")
    enabled = models.BooleanField(default=False)
    # The page's language when the customer last chose: the e-mails are written in it.
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    changed_at = models.DateTimeField()

    def __str__(self):
        return f"Reminders {'on' if self.enabled else 'off'} for customer {self.customer_id}"


class SentReminder(models.Model):
    """One reminder e-mail sent: written in the transaction that sends it, under a unique constraint, so a
    second run of the same task (a retry, a second worker, tomorrow's run) finds it and sends nothing."""

    class Kind(models.TextChoices):
        BURN = "burn", "Points about to burn"
        LEVEL = "level", "New level reached"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # burn: the day the points burn (YYYY-MM-DD, chain's clock); level: the receipt that reached the level.
    event = models.CharField(max_length=40)
    email = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "event"], name="reminder_sent_once_per_event")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.event}) to account {self.account_id}"
