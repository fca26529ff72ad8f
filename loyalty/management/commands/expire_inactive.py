from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.calendar import off_calendar
from loyalty.expiry import nightly_run


class Command(BaseCommand):
    help = "Run the nightly job now: idle cards step down, points past their date burn. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at", default=None, help="judge inactivity and burn dates as of this ISO date-time (default: now)"
        )

    def handle(self, *args, at, **options):
        run = nightly_run(at=self._moment(at), trigger="command", workers=settings.NIGHTLY_JOB_WORKERS)
        self.stdout.write(
            f"{run.label} as of {run.as_of.isoformat()}: {run.cards_stepped_down} cards stepped down, "
            f"{run.lots_burned} lots burned ({run.points_burned} points)"
        )

    def _moment(self, raw: str | None) -> datetime:
        if raw is None:
            return timezone.now()
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--at must be an ISO date-time such as 2026-11-23T03:00, not {raw!r}.") from None
        if problem := off_calendar(moment.date()):  # the job steps back a lifetime from it: year 1 overflowed
            raise CommandError(f"--at {raw}: {problem}")
        # A manager types local time; the job compares aware timestamps.
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
