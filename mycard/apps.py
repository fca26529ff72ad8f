from django.apps import AppConfig


class MyCardConfig(AppConfig):
    """The customer page (/my/): reads cards, accounts and receipts; keeps the customers' consent to
    reminder e-mails and which reminders went out."""

    name = "mycard"

    def ready(self):
        from loyalty import events
        from mycard import tasks

        events.level_reached.connect(tasks.level_reached, dispatch_uid="mycard.level_reminder")
