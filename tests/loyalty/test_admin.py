from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from cards.lifecycle import card_activate
from cards.services import batch_issue
from loyalty.models import Account, Category, Customer, Level, PointsEntry, Programme, TimeWindow
from loyalty.services import points_adjust
from pos.demo import ensure_categories, ensure_default_programme

pytestmark = pytest.mark.django_db

ANNA_CARD, PIOTR_CARD = "2000000000015", "2000000000022"


@pytest.fixture
def clerk_client(client, django_user_model):
    """Staff who may look at accounts but not adjust points."""
    user = django_user_model.objects.create_user("clerk", password="pw-123456", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_account", "view_pointsentry"]))
    client.force_login(user)
    return client


@pytest.fixture
def two_customers():
    batch_issue(count=3)
    ensure_default_programme()
    anna = card_activate(number=ANNA_CARD, name="Anna Kowalska", phone="+48 600 100 200")
    piotr = card_activate(number=PIOTR_CARD, name="Piotr Nowak", phone="+48 601 000 000")
    return anna.account, piotr.account


def ledger_sum(account):
    # Quantized: SQLite sums decimals as floats.
    total = PointsEntry.objects.filter(account=account).aggregate(s=Sum("points"))["s"] or Decimal("0.00")
    return Decimal(total).quantize(Decimal("0.01"))


# --- programme -------------------------------------------------------------------------------


def programme_post(**overrides):
    data = {
        "code": "gold-club", "name": "Gold club", "kind": "cumulative", "base_percent": "0.00",
        "spend_basis": "lifetime", "spend_window_months": "", "ceiling_percent": "20.00",
        "ceiling_justification": "", "earn_percent": "5.00", "point_value": "1.00", "redeem_cap_percent": "20.00",
        "points_lifetime_days": "365", "welcome_bonus": "0.00", "refund_shortfall": "reduce_cash",
        "inactivity_days": "", "inactivity_action": "step_down",
        "levels-TOTAL_FORMS": "1", "levels-INITIAL_FORMS": "0",
        "levels-0-name": "Silver", "levels-0-threshold": "300.00", "levels-0-percent": "2.00", "levels-0-perks": "",
        "windows-TOTAL_FORMS": "0", "windows-INITIAL_FORMS": "0",
    }  # fmt: skip
    return data | overrides


def test_programme_ceiling_above_20_without_justification_is_a_form_error_and_saves_nothing(manager_client):
    response = manager_client.post(reverse("admin:loyalty_programme_add"), programme_post(ceiling_percent="25.00"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ceiling_justification": ["A ceiling above 20 % needs a written justification."]
    }
    assert "A ceiling above 20 % needs a written justification." in response.content.decode()
    assert Programme.objects.count() == 0 and Level.objects.count() == 0


def test_programme_ceiling_above_20_with_justification_is_saved_with_its_levels(manager_client):
    response = manager_client.post(
        reverse("admin:loyalty_programme_add"),
        programme_post(ceiling_percent="25.00", ceiling_justification="Clearance of last season's stock."),
    )
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert (programme.code, programme.ceiling_percent, programme.ceiling_justification) == (
        "gold-club", Decimal("25.00"), "Clearance of last season's stock.",
    )  # fmt: skip
    assert list(programme.levels.values_list("name", "threshold", "percent")) == [
        ("Silver", Decimal("300.00"), Decimal("2.00"))
    ]


def test_programme_rolling_spend_without_window_is_a_form_error(manager_client):
    response = manager_client.post(reverse("admin:loyalty_programme_add"), programme_post(spend_basis="rolling"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "spend_window_months": ["A rolling spend basis needs the window in months."]
    }
    assert Programme.objects.count() == 0


def windows_post(start: str, end: str) -> dict:
    return programme_post(**{
        "windows-TOTAL_FORMS": "1", "windows-0-name": "Friday night", "windows-0-weekdays": "4",
        "windows-0-start_time": start, "windows-0-end_time": end, "windows-0-extra_percent": "3.00",
        "windows-0-points_multiplier": "1.00",
    })  # fmt: skip


def test_a_window_past_midnight_is_saved(manager_client):
    response = manager_client.post(reverse("admin:loyalty_programme_add"), windows_post("22:00", "02:00"))
    assert response.status_code == 302
    assert list(Programme.objects.get().windows.values_list("weekdays", "start_time", "end_time")) == [
        ("4", time(22), time(2))
    ]


def test_a_window_that_ends_when_it_starts_is_a_form_error_and_saves_nothing(manager_client):
    response = manager_client.post(reverse("admin:loyalty_programme_add"), windows_post("08:00", "08:00"))
    assert response.status_code == 200
    assert "A window cannot end when it starts." in response.content.decode()
    assert Programme.objects.count() == 0 and TimeWindow.objects.count() == 0


# --- categories ------------------------------------------------------------------------------


def policies():
    return dict(Category.objects.values_list("code", "discount_policy"))


def test_exclude_action_excludes_only_the_selected_categories(manager_client):
    ensure_categories()
    selected = Category.objects.filter(code__in=["dairy", "promo"]).values_list("pk", flat=True)
    response = manager_client.post(
        reverse("admin:loyalty_category_changelist"),
        {"action": "exclude_from_card_discounts", "_selected_action": [str(pk) for pk in selected]},
    )
    assert response.status_code == 302
    assert policies() == {
        "baby-food": "excluded", "bakery": "normal", "dairy": "excluded", "produce": "normal", "promo": "excluded",
        "tobacco": "excluded",
    }  # fmt: skip


def test_category_policy_and_points_are_editable_from_the_list(manager_client):
    ensure_categories()
    categories = list(Category.objects.order_by("code"))  # the changelist's order
    data = {"form-TOTAL_FORMS": str(len(categories)), "form-INITIAL_FORMS": str(len(categories)), "_save": "Save"}
    for i, category in enumerate(categories):
        data[f"form-{i}-id"] = str(category.pk)
        data[f"form-{i}-discount_policy"] = "excluded" if category.code == "bakery" else category.discount_policy
        if category.earns_points and category.code != "bakery":
            data[f"form-{i}-earns_points"] = "on"
    response = manager_client.post(reverse("admin:loyalty_category_changelist"), data)
    assert response.status_code == 302
    bakery = Category.objects.get(code="bakery")
    assert (bakery.discount_policy, bakery.earns_points) == ("excluded", False)
    assert policies()["dairy"] == "normal"


# --- customers -------------------------------------------------------------------------------


def found_customers(client, q):
    response = client.get(reverse("admin:loyalty_customer_changelist"), {"q": q})
    return list(response.context["cl"].result_list.values_list("name", flat=True))


def test_customer_search_by_card_number(manager_client, two_customers):
    assert found_customers(manager_client, PIOTR_CARD) == ["Piotr Nowak"]


@pytest.mark.parametrize("q", ["+48600100200", "+48 600-100-200", "600 100 200", "600100200"])
def test_customer_search_by_phone_however_typed(manager_client, two_customers, q):
    assert found_customers(manager_client, q) == ["Anna Kowalska"]


def test_customer_search_by_name(manager_client, two_customers):
    assert found_customers(manager_client, "nowak") == ["Piotr Nowak"]


def customer_post(**overrides):
    data = {
        "name": "Ewa Lis", "phone": "+48 600-100-200", "email": "", "birthday": "",
        "accounts-TOTAL_FORMS": "0", "accounts-INITIAL_FORMS": "0",
    }  # fmt: skip
    return data | overrides


def test_customer_phone_is_saved_normalised(manager_client):
    response = manager_client.post(reverse("admin:loyalty_customer_add"), customer_post())
    assert response.status_code == 302
    assert list(Customer.objects.values_list("name", "phone")) == [("Ewa Lis", "+48600100200")]


def test_phone_typed_with_brackets_and_spaces_fits(manager_client):
    response = manager_client.post(reverse("admin:loyalty_customer_add"), customer_post(phone="(0151) 234 - 56 - 78"))
    assert response.status_code == 302
    assert Customer.objects.get().phone == "+491512345678"


def test_invalid_phone_is_a_form_error_and_saves_nothing(manager_client):
    response = manager_client.post(reverse("admin:loyalty_customer_add"), customer_post(phone="call me"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "phone": ["Enter a phone number, with its country code if it is not local."]
    }
    assert Customer.objects.count() == 0


def test_a_phone_already_on_file_is_saved_as_a_second_record(manager_client, two_customers):
    # Phones are not unique: the admin's "Merge" action joins two records of one person.
    response = manager_client.post(reverse("admin:loyalty_customer_add"), customer_post(phone="0048 600 100 200"))
    assert response.status_code == 302
    assert list(Customer.objects.filter(phone="+48600100200").order_by("pk").values_list("name", flat=True)) == [
        "Anna Kowalska", "Ewa Lis",
    ]  # fmt: skip


def test_customer_page_lists_the_card_accounts_read_only(manager_client, two_customers):
    anna, _ = two_customers
    response = manager_client.get(reverse("admin:loyalty_customer_change", args=[anna.customer_id]))
    formset = response.context["inline_admin_formsets"][0]
    assert [a.pk for a in formset.formset.queryset] == [anna.pk]
    assert (formset.has_add_permission, formset.has_change_permission, formset.has_delete_permission) == (
        False, False, False,
    )  # fmt: skip
    assert ANNA_CARD in response.content.decode()


# --- accounts: adjusting points ----------------------------------------------------------------


def adjust(client, account, points, reason):
    return client.post(reverse("admin:loyalty_account_adjust", args=[account.pk]), {"points": points, "reason": reason})


def test_manager_credits_points_with_a_reason(manager_client, manager, two_customers):
    anna, _ = two_customers
    assert anna.points_balance == Decimal("0.00")
    response = adjust(manager_client, anna, "10.00", "Complaint 17: broken bag")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:loyalty_account_change", args=[anna.pk])
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("10.00") == ledger_sum(anna)
    assert list(PointsEntry.objects.values_list("account", "kind", "points", "reason", "created_by")) == [
        (anna.pk, "adjust", Decimal("10.00"), "Complaint 17: broken bag", manager.pk)
    ]


def test_manager_debits_points_within_the_balance(manager_client, two_customers):
    anna, _ = two_customers
    points_adjust(account_id=anna.pk, points=Decimal("10.00"), reason="Goodwill", by=None, at=timezone.now())
    assert adjust(manager_client, anna, "-4.50", "Given twice by mistake").status_code == 302
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("5.50") == ledger_sum(anna)


def test_debit_above_the_balance_is_a_form_error_and_changes_nothing(manager_client, two_customers):
    anna, _ = two_customers
    points_adjust(account_id=anna.pk, points=Decimal("10.00"), reason="Goodwill", by=None, at=timezone.now())
    response = adjust(manager_client, anna, "-15.00", "Oops")
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": ["Only 10.00 points are available, not 15.00."]}
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("10.00") == ledger_sum(anna)
    assert PointsEntry.objects.count() == 1


@pytest.mark.parametrize("points", ["9999999999.99", "-9999999999.99", "100000000.01"])
def test_an_adjustment_above_the_limit_is_a_field_error_and_changes_nothing(manager_client, two_customers, points):
    anna, _ = two_customers
    points_adjust(account_id=anna.pk, points=Decimal("10.00"), reason="Goodwill", by=None, at=timezone.now())
    response = adjust(manager_client, anna, points, "Fat finger")
    assert response.status_code == 200
    bound = "greater than or equal to -100000000" if points.startswith("-") else "less than or equal to 100000000"
    assert response.context["form"].errors == {"points": [f"Ensure this value is {bound}."]}
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("10.00") == ledger_sum(anna)
    assert PointsEntry.objects.count() == 1


def test_an_adjustment_the_balance_cannot_hold_is_a_field_error_and_changes_nothing(manager_client, two_customers):
    anna, _ = two_customers
    Account.objects.filter(pk=anna.pk).update(points_balance=Decimal("9999999999999.00"))
    response = adjust(manager_client, anna, "1.00", "Goodwill")
    assert response.status_code == 200
    message = (
        "This would take the points balance to 10,000,000,000,000.00, "
        "above the 9,999,999,999,999.99 that can be stored."
    )
    assert response.context["form"].errors == {"points": [message]}
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("9999999999999.00")
    assert PointsEntry.objects.count() == 0


@pytest.mark.parametrize("points", ["-0", "-0.00", "0"])
def test_a_zero_adjustment_however_signed_is_refused(manager_client, two_customers, points):
    anna, _ = two_customers
    response = adjust(manager_client, anna, points, "Nothing")
    assert response.context["form"].errors == {"points": ["An adjustment of zero points changes nothing."]}
    assert PointsEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("points", "reason", "errors"),
    [
        ("0", "Nothing", {"points": ["An adjustment of zero points changes nothing."]}),
        ("0.00", "Nothing", {"points": ["An adjustment of zero points changes nothing."]}),
        ("5.00", "", {"reason": ["This field is required."]}),
        ("5.00", "   ", {"reason": ["This field is required."]}),
        ("1.234", "Too fine", {"points": ["Ensure that there are no more than 2 decimal places."]}),
        ("ten", "Words", {"points": ["Enter a number."]}),
    ],
)
def test_bad_adjustment_is_a_form_error_and_changes_nothing(manager_client, two_customers, points, reason, errors):
    anna, _ = two_customers
    response = adjust(manager_client, anna, points, reason)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("0.00")
    assert PointsEntry.objects.count() == 0


def test_user_without_adjust_permission_gets_403_and_no_button(clerk_client, two_customers):
    anna, _ = two_customers
    url = reverse("admin:loyalty_account_adjust", args=[anna.pk])
    assert clerk_client.get(url).status_code == 403
    assert adjust(clerk_client, anna, "10.00", "Sneaky").status_code == 403
    anna.refresh_from_db()
    assert anna.points_balance == Decimal("0.00")
    assert PointsEntry.objects.count() == 0
    page = clerk_client.get(reverse("admin:loyalty_account_change", args=[anna.pk]))
    assert page.status_code == 200
    assert url not in page.content.decode()


def test_manager_sees_the_adjust_button_and_form(manager_client, two_customers):
    anna, _ = two_customers
    url = reverse("admin:loyalty_account_adjust", args=[anna.pk])
    assert url == f"/admin/loyalty/account/{anna.pk}/adjust/"
    assert url in manager_client.get(reverse("admin:loyalty_account_change", args=[anna.pk])).content.decode()
    form_page = manager_client.get(url)
    assert form_page.status_code == 200
    assert list(form_page.context["form"].fields) == ["points", "reason"]


def test_account_page_shows_the_ledger_newest_first(manager_client, two_customers):
    anna, _ = two_customers
    now = timezone.now()
    first = points_adjust(account_id=anna.pk, points=Decimal("10.00"), reason="First", by=None, at=now)
    second = points_adjust(
        account_id=anna.pk, points=Decimal("-3.00"), reason="Second", by=None, at=now + timedelta(minutes=1)
    )
    response = manager_client.get(reverse("admin:loyalty_account_change", args=[anna.pk]))
    rows = response.context["ledger"]
    assert [(row.entry.pk, row.balance) for row in rows] == [(second.pk, Decimal("7.00")), (first.pk, Decimal("10.00"))]


def test_account_is_view_only_and_never_deleted(manager_client, two_customers):
    anna, _ = two_customers
    response = manager_client.get(reverse("admin:loyalty_account_change", args=[anna.pk]))
    assert response.context["has_change_permission"] is False
    assert manager_client.post(reverse("admin:loyalty_account_change", args=[anna.pk]), {}).status_code == 403
    assert manager_client.get(reverse("admin:loyalty_account_delete", args=[anna.pk])).status_code == 403
    assert manager_client.get(reverse("admin:loyalty_account_add")).status_code == 403
    assert Account.objects.count() == 2


def test_account_search_by_card_phone_and_name(manager_client, two_customers):
    anna, piotr = two_customers
    url = reverse("admin:loyalty_account_changelist")

    def found(q):
        return [a.pk for a in manager_client.get(url, {"q": q}).context["cl"].result_list]

    assert found(ANNA_CARD) == [anna.pk]
    assert found("601 000 000") == [piotr.pk]
    assert found("kowalska") == [anna.pk]


# --- the ledger ------------------------------------------------------------------------------


def test_ledger_is_read_only_filterable_and_searchable(manager_client, two_customers):
    anna, piotr = two_customers
    now = timezone.now()
    points_adjust(account_id=anna.pk, points=Decimal("10.00"), reason="Anna", by=None, at=now)
    points_adjust(account_id=piotr.pk, points=Decimal("7.00"), reason="Piotr", by=None, at=now)
    entry = PointsEntry.objects.get(account=anna)
    url = reverse("admin:loyalty_pointsentry_changelist")

    def found(**params):
        return [e.reason for e in manager_client.get(url, params).context["cl"].result_list]

    assert found(q=PIOTR_CARD) == ["Piotr"]
    assert found(kind__exact="adjust") == ["Piotr", "Anna"]  # same time: newest id first
    assert found(kind__exact="earn") == []
    assert manager_client.get(reverse("admin:loyalty_pointsentry_add")).status_code == 403
    assert manager_client.get(reverse("admin:loyalty_pointsentry_delete", args=[entry.pk])).status_code == 403
    assert manager_client.post(reverse("admin:loyalty_pointsentry_change", args=[entry.pk]), {}).status_code == 403
    assert PointsEntry.objects.count() == 2


def test_customer_is_never_deleted(manager_client, two_customers):
    anna, _ = two_customers
    assert manager_client.get(reverse("admin:loyalty_customer_delete", args=[anna.customer_id])).status_code == 403
    assert Customer.objects.count() == 2
