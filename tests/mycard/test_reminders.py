"""Reminder e-mails (issue 17.7): with the customer's yes on /my/, an e-mail REMINDER_BURN_DAYS before points
burn (the daily beat task) and one when a purchase reaches a new level; each once, whatever retries; plain
text and HTML, in the language the customer chose in; a signed unsubscribe link that works without sign-in.
Sent through a real SMTP server (aiosmtpd) on this machine."""

import email
import socket
import threading
from datetime import timedelta
from decimal import Decimal
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from cards.lifecycle import card_block
from loyalty.models import Customer, PointsLot
from mycard import reminders, tasks
from mycard.models import ReminderConsent, SentReminder
from pos.models import Receipt
from tests.mycard import support as my_support
from tests.mycard.support import ANNA, BRUNO, buy, cards_in_every_state, pin, sign_in, text

fresh_cache = my_support.fresh_cache

pytestmark = pytest.mark.django_db


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Loyalty card <loyalty@shop.example>"
    settings.SITE_URL = "https://loyalty.example"
    yield inbox
    controller.stop()


@pytest.fixture
def now():
    return timezone.now()


def ago(now, days: int):
    return timezone.localtime(now - timedelta(days=days)).replace(hour=9, minute=30, second=0, microsecond=0)


@pytest.fixture
def anna(demo, now):
    """Anna's points: 25.37 burn in 15 days and 0.47 in 25 days (as in test_card_page.anna)."""
    cards_in_every_state()
    buy(ANNA, ago(now, 350), ("TV", "1", "750.00"))
    buy(ANNA, ago(now, 340), ("MELON", "1", "10.00"))
    big = buy(ANNA, ago(now, 10), ("CHAIR", "2", "50.00"), redeem="10.00")
    my_support.refund(big, ago(now, 5), ("CHAIR", "1"))
    return Customer.objects.get(accounts__cards__number=ANNA)


def consent(customer: Customer, language: str = "en", enabled: bool = True) -> None:
    reminders.reminders_set(customer=customer, enabled=enabled, language=language, at=timezone.now())


def daily_run(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.burn_reminders()


def day_of(moment) -> str:
    return date_format(timezone.localtime(moment).date(), "j M Y")


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


# --- points about to burn ---------------------------------------------------------------------------------


def test_points_burning_within_the_reminder_days_get_one_e_mail_in_text_and_html(
    anna, smtp, settings, now, django_capture_on_commit_callbacks
):
    settings.REMINDER_BURN_DAYS = 20  # the 25.37 burning in 15 days, not the 0.47 in 25
    consent(anna)
    assert daily_run(django_capture_on_commit_callbacks) == 1

    [(to, message)] = smtp.messages
    burn_day = day_of(ago(now, 350) + timedelta(days=365))
    assert to == ["anna@example.com"]
    assert message["From"] == "Loyalty card <loyalty@shop.example>"
    assert message["Subject"] == f"25.37 points on your card burn on {burn_day}"
    token = reminders.unsubscribe_token(anna.pk)
    assert message["List-Unsubscribe"].strip() == f"<https://loyalty.example/my/reminders/off/{token}/>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = parts(message)
    assert plain.splitlines()[:6] == [
        "Hello Anna K.,",
        "",
        f"points on your card {ANNA} burn soon:",
        "",
        f"  {burn_day}: 25.37 points",
        "",
    ]
    assert (
        "Together they are worth 25.37 EUR. Show your card at the checkout and pay with them before they "
        "burn: points pay up to 20 % of a purchase." in plain
    )
    assert "Your card: https://loyalty.example/my/" in plain
    assert f"Stop reminder e-mails: https://loyalty.example/my/reminders/off/{token}/" in plain
    assert f'<td style="padding:4px 16px 4px 0;">{burn_day}</td>' in html
    assert f'href="https://loyalty.example/my/reminders/off/{token}/"' in html
    assert list(SentReminder.objects.values_list("kind", "event", "email")) == [
        ("burn", timezone.localtime(ago(now, 350) + timedelta(days=365)).date().isoformat(), "anna@example.com")
    ]


def test_the_next_days_run_sends_nothing_again_and_a_new_burn_day_gets_its_own_e_mail(
    anna, smtp, settings, now, django_capture_on_commit_callbacks
):
    settings.REMINDER_BURN_DAYS = 20
    consent(anna)
    daily_run(django_capture_on_commit_callbacks)
    assert daily_run(django_capture_on_commit_callbacks) == 0
    assert len(smtp.messages) == 1

    settings.REMINDER_BURN_DAYS = 30  # now the 0.47 is within reach too: only it is new
    assert daily_run(django_capture_on_commit_callbacks) == 1
    second = smtp.messages[1][1]
    assert second["Subject"] == f"0.47 points on your card burn on {day_of(ago(now, 340) + timedelta(days=365))}"
    assert "25.37" not in parts(second)[0]
    assert SentReminder.objects.count() == 2


@pytest.mark.parametrize(
    "why_not",
    ["never asked", "turned off", "no e-mail address", "card blocked", "points spent"],
)
def test_no_burn_e_mail_without_consent_an_address_an_active_card_or_points(
    anna, smtp, settings, why_not, django_capture_on_commit_callbacks
):
    settings.REMINDER_BURN_DAYS = 20
    if why_not != "never asked":
        consent(anna, enabled=why_not != "turned off")
    if why_not == "no e-mail address":
        Customer.objects.filter(pk=anna.pk).update(email="")
    if why_not == "card blocked":
        card_block(number=ANNA, reason="Lost")
    if why_not == "points spent":
        PointsLot.objects.filter(account__cards__number=ANNA).update(remaining=Decimal("0.00"))
    assert daily_run(django_capture_on_commit_callbacks) == 0
    assert (smtp.messages, SentReminder.objects.count()) == ([], 0)


def test_a_task_run_twice_sends_once(anna, smtp, settings, now):
    settings.REMINDER_BURN_DAYS = 20
    consent(anna)
    [(account_id, days)] = reminders.burn_days_due(timezone.now()).items()
    iso = [d.isoformat() for d in days]
    assert tasks.burn_reminder(account_id, iso) is True
    assert tasks.burn_reminder(account_id, iso) is False  # a retry after a lost acknowledgement
    assert len(smtp.messages) == 1


def test_a_mail_server_that_is_down_sends_nothing_and_leaves_the_e_mail_to_the_retry(anna, smtp, settings):
    settings.REMINDER_BURN_DAYS = 20
    consent(anna)
    [(account_id, days)] = reminders.burn_days_due(timezone.now()).items()
    iso = [d.isoformat() for d in days]
    working_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nobody listens there
    with pytest.raises(ConnectionRefusedError):
        reminders.burn_reminder_send(account_id=account_id, days=iso, at=timezone.now())
    assert SentReminder.objects.count() == 0
    settings.EMAIL_PORT = working_port
    assert reminders.burn_reminder_send(account_id=account_id, days=iso, at=timezone.now()) is True
    assert len(smtp.messages) == 1


def test_the_e_mail_is_in_the_language_the_customer_chose_in(
    anna, smtp, settings, now, django_capture_on_commit_callbacks
):
    settings.REMINDER_BURN_DAYS = 20
    consent(anna, language="de")
    daily_run(django_capture_on_commit_callbacks)
    message = smtp.messages[0][1]
    with translation.override("de"):
        burn_day = date_format(timezone.localtime(ago(now, 350) + timedelta(days=365)).date(), "j. N Y")
    assert message["Subject"] == f"25,37 Punkte auf Ihrer Karte verfallen am {burn_day}"
    plain, html = parts(message)
    assert f"  {burn_day}: 25,37 Punkte" in plain
    assert "Zusammen sind sie 25,37 EUR wert." in plain
    assert "Erinnerungs-E-Mails abbestellen:" in plain
    assert '<html lang="de">' in html


# --- a new level --------------------------------------------------------------------------------------------


def test_a_purchase_that_reaches_a_level_sends_one_e_mail_after_the_commit(
    demo, smtp, now, django_capture_on_commit_callbacks
):
    cards_in_every_state()
    consent(Customer.objects.get(accounts__cards__number=ANNA))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receipt = buy(ANNA, ago(now, 1), ("TV", "1", "400.00"))
    assert smtp.messages == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [(to, message)] = smtp.messages
    assert to == ["anna@example.com"]
    assert message["Subject"] == "You reached Silver: 2 % off from now on"
    plain, _ = parts(message)
    assert f"your card {ANNA} reached Silver: from now on your discount is 2 %." in plain
    assert "Spend 300.00 EUR more for 5 % (Gold)." in plain
    assert list(SentReminder.objects.values_list("kind", "event")) == [("level", str(receipt.pk))]


def test_the_new_level_e_mail_in_german(demo, smtp, now, django_capture_on_commit_callbacks):
    cards_in_every_state()
    consent(Customer.objects.get(accounts__cards__number=ANNA), language="de")
    with django_capture_on_commit_callbacks(execute=True):
        buy(ANNA, ago(now, 1), ("TV", "1", "400.00"))
    [(_, message)] = smtp.messages
    plain, html = parts(message)
    assert message["Subject"] == "Sie haben Silver erreicht: ab jetzt 2 % Rabatt"
    assert f"Ihre Karte {ANNA} hat Silver erreicht: Ab jetzt beträgt Ihr Rabatt 2 %." in plain
    assert "Noch 300,00 EUR einkaufen für 5 % (Gold)." in plain
    assert "Erinnerungs-E-Mails abbestellen:" in plain
    assert '<html lang="de">' in html and "Noch 300,00 EUR einkaufen für 5 % (Gold)." in html


def test_purchases_that_reach_no_new_level_send_nothing(demo, smtp, now, django_capture_on_commit_callbacks):
    cards_in_every_state()
    consent(Customer.objects.get(accounts__cards__number=ANNA))
    with django_capture_on_commit_callbacks(execute=True):
        buy(ANNA, ago(now, 2), ("PEAR", "1", "20.00"))  # no level yet
        buy(ANNA, ago(now, 1), ("TV", "1", "400.00"))  # Silver
        buy(ANNA, ago(now, 0), ("PEAR", "1", "20.00"))  # still Silver
    assert [m["Subject"] for _, m in smtp.messages] == ["You reached Silver: 2 % off from now on"]


def test_a_level_reached_without_consent_sends_nothing(demo, smtp, now, django_capture_on_commit_callbacks):
    cards_in_every_state()
    with django_capture_on_commit_callbacks(execute=True):
        buy(BRUNO, ago(now, 1), ("TV", "1", "400.00"))
    assert (smtp.messages, SentReminder.objects.count()) == ([], 0)


def test_the_level_task_run_twice_sends_once(demo, smtp, now):
    cards_in_every_state()
    consent(Customer.objects.get(accounts__cards__number=ANNA))
    receipt = buy(ANNA, ago(now, 1), ("TV", "1", "400.00"))
    assert tasks.level_reminder(receipt.account_id, "Silver", receipt.pk) is True
    assert tasks.level_reminder(receipt.account_id, "Silver", receipt.pk) is False
    assert len(smtp.messages) == 1


def test_a_broker_that_is_down_costs_the_e_mail_not_the_sale(
    demo, now, monkeypatch, django_capture_on_commit_callbacks
):
    cards_in_every_state()

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.level_reminder, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = buy(ANNA, ago(now, 1), ("TV", "1", "400.00"))
    assert Receipt.objects.get(pk=receipt.pk).level_after == "Silver"


# --- the customer's choice on /my/, and the unsubscribe link ----------------------------------------------------


def signed_in(number: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert sign_in(client, number, pin(number)).status_code == 302
    return client


def test_the_customer_turns_reminders_on_and_off_on_my(anna):
    client = signed_in(ANNA, "de")
    assert "E-Mail-Erinnerungen" in text(client.get("/my/"))
    response = client.post("/my/reminders/", {"enabled": "on"})
    assert (response.status_code, response["Location"]) == (302, "/my/#reminders")
    assert list(ReminderConsent.objects.values_list("customer", "enabled", "language")) == [(anna.pk, True, "de")]
    assert "Erinnerungen sind an. Wir schreiben an anna@example.com." in text(client.get("/my/"))

    client = signed_in(ANNA)
    assert "E-mail reminders" in text(client.get("/my/"))
    assert "On to anna@example.com Turn reminders off" in text(client.get("/my/"))
    client.post("/my/reminders/", {"enabled": "off"})
    assert list(ReminderConsent.objects.values_list("enabled", "language")) == [(False, "en")]
    page = text(client.get("/my/"))
    assert "Reminders are off." in page
    assert "Off Turn reminders on" in page


def test_reminders_need_an_e_mail_address_and_nothing_changes_without_one(demo):
    cards_in_every_state()
    client = signed_in(BRUNO)  # Bruno gave no e-mail address
    client.post("/my/reminders/", {"enabled": "on"})
    assert "Please add your e-mail address first" in text(client.get("/my/"))
    assert ReminderConsent.objects.count() == 0


def test_reminders_cannot_be_turned_on_without_sign_in_or_the_csrf_token(anna):
    response = Client().post("/my/reminders/", {"enabled": "on"})
    assert (response.status_code, response["Location"]) == (302, "/my/signin/")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/my/reminders/", {"enabled": "on"}).status_code == 403
    assert ReminderConsent.objects.count() == 0


def test_the_unsubscribe_link_asks_first_then_turns_reminders_off_without_sign_in(anna):
    consent(anna)
    url = f"/my/reminders/off/{reminders.unsubscribe_token(anna.pk)}/"
    client = Client(enforce_csrf_checks=True)  # a mail client's one-click POST carries no CSRF token
    page = client.get(url)
    assert (page.status_code, ReminderConsent.objects.get().enabled) == (200, True)  # a link checker's GET
    assert "Stop reminder e-mails" in text(page)
    done = client.post(url)
    assert done.status_code == 200
    assert "Done: you will get no more reminder e-mails." in text(done)
    assert ReminderConsent.objects.get().enabled is False
    assert client.post(url).status_code == 200  # twice is fine


@pytest.mark.parametrize("token", ["nonsense", "1", None])
def test_a_forged_or_altered_unsubscribe_link_changes_nothing(anna, token):
    consent(anna)
    if token is None:  # another customer's id under Anna's signature
        good = reminders.unsubscribe_token(anna.pk)
        token = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    response = Client().post(f"/my/reminders/off/{token}/")
    assert response.status_code == 404
    assert "This link is not valid." in text(response)
    assert ReminderConsent.objects.get().enabled is True


# --- settings ------------------------------------------------------------------------------------------------


def test_the_daily_burn_reminder_is_on_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["mycard-burn-reminders"]
    assert entry["task"] == "mycard.burn_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({django_settings.REMINDER_BURN_HOUR}, {0})


# --- PostgreSQL: two workers at once -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_workers_sending_the_same_reminder_at_once_send_it_once(smtp, now):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (SQLite serialises writers)")
    from pos.demo import build_demo

    build_demo()
    cards_in_every_state()
    consent(Customer.objects.get(accounts__cards__number=ANNA))
    receipt = buy(ANNA, ago(now, 1), ("TV", "1", "400.00"))
    smtp.messages.clear()  # the level e-mail of the purchase itself (eager tasks)
    SentReminder.objects.all().delete()
    start = threading.Barrier(2)
    results = []

    def worker():
        start.wait()
        try:
            results.append(tasks.level_reminder(receipt.account_id, "Silver", receipt.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert len(smtp.messages) == 1
    assert SentReminder.objects.count() == 1


def test_the_back_office_lists_consents_and_sent_reminders_read_only(anna, smtp, settings, admin_client):
    settings.REMINDER_BURN_DAYS = 20
    consent(anna)
    [(account_id, days)] = reminders.burn_days_due(timezone.now()).items()
    tasks.burn_reminder(account_id, [d.isoformat() for d in days])
    consents = admin_client.get("/admin/mycard/reminderconsent/")
    sent = admin_client.get("/admin/mycard/sentreminder/")
    assert (consents.status_code, sent.status_code) == (200, 200)
    assert "Anna Kowalska" in text(consents)
    assert "anna@example.com" in text(sent)
    assert admin_client.post(f"/admin/mycard/reminderconsent/{anna.pk}/change/", {}).status_code == 403
