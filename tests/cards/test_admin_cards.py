from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from cards.lifecycle import card_activate
from cards.models import Card
from cards.services import batch_issue
from loyalty.models import Account, PointsEntry
from loyalty.services import points_adjust
from pos.demo import ensure_default_programme

pytestmark = pytest.mark.django_db

OLD, FRESH, OTHER = "2000000000015", "2000000000022", "2000000000039"


@pytest.fixture
def viewer_client(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_card"))
    client.force_login(user)
    return client


@pytest.fixture
def anna_card():
    """Card OLD active with 10.00 points; FRESH issued; OTHER active for someone else."""
    batch_issue(count=3)
    ensure_default_programme()
    card = card_activate(number=OLD, name="Anna Kowalska", phone="+48 600 100 200")
    card_activate(number=OTHER, name="Piotr Nowak", phone="+48 601 000 000")
    points_adjust(account_id=card.account_id, points=Decimal("10.00"), reason="Goodwill", by=None, at=timezone.now())
    return Card.objects.get(number=OLD)


def card(number):
    return Card.objects.select_related("account__customer").get(number=number)


def snapshot():
    """Everything a failed block or replace must leave as it was."""
    return (
        list(
            Card.objects.order_by("number").values_list("number", "status", "account", "replaced_by", "blocked_reason")
        ),
        list(Account.objects.order_by("pk").values_list("pk", "customer", "points_balance", "spend")),
        PointsEntry.objects.count(),
    )


def block(client, number, reason):
    return client.post(reverse("admin:cards_card_block", args=[card(number).pk]), {"reason": reason})


def replace(client, number, new_number):
    return client.post(reverse("admin:cards_card_replace", args=[card(number).pk]), {"new_number": new_number})


# --- block -----------------------------------------------------------------------------------


def test_manager_blocks_a_card_with_a_reason(manager_client, anna_card):
    response = block(manager_client, OLD, "Lost on the bus")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cards_card_change", args=[anna_card.pk])
    blocked = card(OLD)
    assert (blocked.status, blocked.blocked_reason) == ("blocked", "Lost on the bus")
    assert blocked.blocked_at is not None and blocked.blocked_at <= timezone.now()


@pytest.mark.parametrize("reason", ["", "   "])
def test_block_without_a_reason_is_a_form_error_and_changes_nothing(manager_client, anna_card, reason):
    before = snapshot()
    response = block(manager_client, OLD, reason)
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert snapshot() == before


def test_blocking_an_unused_card_is_a_form_error_and_changes_nothing(manager_client, anna_card):
    before = snapshot()
    response = block(manager_client, FRESH, "Lost")
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["An unused card cannot be blocked; it has nothing to protect."]
    }
    assert snapshot() == before


def test_blocking_a_blocked_card_again_is_a_form_error(manager_client, anna_card):
    block(manager_client, OLD, "Lost on the bus")
    before = snapshot()
    response = block(manager_client, OLD, "Lost twice")
    assert response.context["form"].errors == {"__all__": ["This card is already blocked."]}
    assert snapshot() == before


# --- replace ---------------------------------------------------------------------------------


def test_manager_replaces_a_card_onto_an_issued_one(manager_client, manager, anna_card):
    customer_id = anna_card.account.customer_id
    response = replace(manager_client, OLD, f" {FRESH} ")
    new = card(FRESH)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cards_card_change", args=[new.pk])
    old = card(OLD)
    assert (old.status, old.replaced_by_id, old.blocked_reason) == ("replaced", new.pk, "Replaced")
    assert (new.status, new.account.customer_id) == ("active", customer_id)
    assert (old.account.points_balance, new.account.points_balance) == (Decimal("0.00"), Decimal("10.00"))
    assert new.account.replaces_id == old.account_id
    assert list(PointsEntry.objects.filter(kind="transfer").values_list("account", "points", "created_by")) == [
        (old.account_id, Decimal("-10.00"), manager.pk),
        (new.account_id, Decimal("10.00"), manager.pk),
    ]


def test_replacing_a_blocked_card_keeps_the_block_reason(manager_client, anna_card):
    block(manager_client, OLD, "Stolen")
    assert replace(manager_client, OLD, FRESH).status_code == 302
    old = card(OLD)
    assert (old.status, old.blocked_reason, card(FRESH).account.points_balance) == (
        "replaced", "Stolen", Decimal("10.00"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("new_number", "error"),
    [
        (OTHER, "The new card must be a fresh, unused card."),
        (OLD, "The new card must be a different card."),
        ("2000000000046", "This card is not known here."),
        ("2000000000047", "The check digit is wrong: the number was probably mistyped."),
    ],
)
def test_bad_replacement_is_a_form_error_and_changes_nothing(manager_client, anna_card, new_number, error):
    before = snapshot()
    response = replace(manager_client, OLD, new_number)
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": [error]}
    assert snapshot() == before


def test_replacing_an_unused_card_is_a_form_error(manager_client, anna_card):
    before = snapshot()
    response = replace(manager_client, FRESH, OTHER)
    assert response.context["form"].errors == {
        "__all__": ["Only an active or blocked card can be replaced; this one is issued."]
    }
    assert snapshot() == before


# --- the card page ---------------------------------------------------------------------------


def test_card_page_shows_customer_level_points_and_buttons(manager_client, anna_card):
    response = manager_client.get(reverse("admin:cards_card_change", args=[anna_card.pk]))
    page = response.content.decode()
    assert reverse("admin:loyalty_customer_change", args=[anna_card.account.customer_id]) in page
    assert "Anna Kowalska (+48600100200)" in page
    assert reverse("admin:loyalty_account_change", args=[anna_card.account_id]) in page
    assert ">10.00</a>" in page
    assert reverse("admin:cards_card_block", args=[anna_card.pk]) in page
    assert reverse("admin:cards_card_replace", args=[anna_card.pk]) in page


def test_saving_the_card_page_cannot_relink_its_account(manager_client, anna_card):
    other = card(OTHER)
    before = snapshot()
    url = reverse("admin:cards_card_change", args=[anna_card.pk])
    response = manager_client.post(url, {"account": str(other.account_id), "replaced_by": str(other.pk)})
    assert response.status_code == 302
    assert snapshot() == before


def test_replaced_card_page_links_to_the_new_card_and_offers_no_actions(manager_client, anna_card):
    replace(manager_client, OLD, FRESH)
    new = card(FRESH)
    page = manager_client.get(reverse("admin:cards_card_change", args=[anna_card.pk])).content.decode()
    assert f'<a href="{reverse("admin:cards_card_change", args=[new.pk])}">{FRESH}</a>' in page
    assert reverse("admin:cards_card_block", args=[anna_card.pk]) not in page
    assert reverse("admin:cards_card_replace", args=[anna_card.pk]) not in page
    new_page = manager_client.get(reverse("admin:cards_card_change", args=[new.pk])).content.decode()
    assert f'<a href="{reverse("admin:cards_card_change", args=[anna_card.pk])}">{OLD}</a>' in new_page


def test_issued_card_page_shows_no_customer_and_no_actions(manager_client, anna_card):
    fresh = card(FRESH)
    response = manager_client.get(reverse("admin:cards_card_change", args=[fresh.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("admin:cards_card_block", args=[fresh.pk]) not in page
    assert reverse("admin:cards_card_replace", args=[fresh.pk]) not in page


def test_user_who_may_only_view_cards_cannot_block_or_replace(viewer_client, anna_card):
    before = snapshot()
    assert viewer_client.get(reverse("admin:cards_card_block", args=[anna_card.pk])).status_code == 403
    assert block(viewer_client, OLD, "Lost").status_code == 403
    assert replace(viewer_client, OLD, FRESH).status_code == 403
    assert snapshot() == before
    page = viewer_client.get(reverse("admin:cards_card_change", args=[anna_card.pk])).content.decode()
    assert reverse("admin:cards_card_block", args=[anna_card.pk]) not in page
