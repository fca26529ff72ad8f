"""The ready demo of `loyalty_demo`: everything a person needs to try the product.

Safe to run twice: every object is looked up by its natural key first.
"""

from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User

from cards.models import CardBatch
from cards.services import batch_issue
from loyalty.models import Category, Level, Programme
from loyalty.signals import terms_changed
from pos.actors import hash_token
from pos.models import Cashier, Product, Store, Terminal

MANAGER_GROUP = "managers"
CASHIER_GROUP = "cashiers"
DEMO_BATCH_NAME = "Demo cards"
DEMO_PASSWORDS = {"manager": "manager-demo", "cashier1": "cashier-demo", "cashier2": "cashier-demo"}
# Demo terminals get fixed, published tokens so the demo can print them on every run.
# Real terminals get random tokens from `terminal_create`, shown once.
DEMO_STORES = [
    ("central", "Central Market", "till-1", "demo-token-central-till-1", "cashier1"),
    ("riverside", "Riverside", "till-1", "demo-token-riverside-till-1", "cashier2"),
]
DEMO_PRODUCTS = [
    ("MILK-1L", "4006381333931", "Milk 1 l", "dairy", "1.49"),
    ("YOG-500", "5901234123457", "Yoghurt 500 g", "dairy", "0.99"),
    ("BREAD-RYE", "4007817327098", "Rye bread", "bakery", "2.79"),
    ("APPLE-KG", "4000000001232", "Apples (per kg)", "produce", "2.49"),
    ("CIG-20", "4000417025005", "Cigarettes, pack of 20", "tobacco", "8.20"),
    ("BABY-JAR", "4062300020719", "Baby food jar", "baby-food", "1.19"),
    ("COFFEE-PROMO", "8711000530085", "Coffee 500 g (promotion)", "promo", "5.99"),
]


def ensure_manager_group() -> Group:
    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["cards", "giftcards", "loyalty", "pos", "partners", "promotions"]
        )
    )
    return group


def ensure_user(username: str, *, staff: bool, group: Group | None = None) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
    if created:
        user.set_password(DEMO_PASSWORDS[username])
        user.save()
    if group:
        user.groups.add(group)
    return user


DEMO_LEVELS = [("Silver", "300.00", "2.00"), ("Gold", "700.00", "5.00"), ("Platinum", "1500.00", "7.00")]
DEMO_CATEGORIES = [
    ("dairy", "Dairy", "normal", None, True),
    ("bakery", "Bakery", "normal", None, True),
    ("produce", "Fruit & vegetables", "normal", None, True),
    ("tobacco", "Tobacco", "excluded", None, False),
    ("baby-food", "Baby food", "excluded", None, True),
    ("promo", "Goods on promotion", "capped", "3.00", True),
]


def ensure_default_programme() -> Programme:
    """The programme of api.md: cumulative, base 0 %, 300/700/1500 -> 2/5/7 %, 5 % points."""
    programme, created = Programme.objects.get_or_create(
        code="default",
        defaults={
            "name": "Cumulative discount card",
            "is_default": True,
            "kind": Programme.Kind.CUMULATIVE,
            "base_percent": Decimal("0.00"),
            "earn_percent": Decimal("5.00"),
            "point_value": Decimal("1.00"),
            "redeem_cap_percent": Decimal("20.00"),
            "points_lifetime_days": 365,
            "inactivity_days": 180,
        },
    )
    if created:
        Level.objects.bulk_create(
            Level(programme=programme, name=n, threshold=Decimal(t), percent=Decimal(p)) for n, t, p in DEMO_LEVELS
        )
        terms_changed(programme.pk)  # bulk_create sends no signal
    return programme


def ensure_categories() -> None:
    for code, name, policy, cap, earns in DEMO_CATEGORIES:
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "discount_policy": policy,
                "max_discount_percent": Decimal(cap) if cap else None,
                "earns_points": earns,
            },
        )


def ensure_cashier_group() -> Group:
    group, _ = Group.objects.get_or_create(name=CASHIER_GROUP)
    return group


def ensure_stores() -> list[str]:
    lines = []
    cashiers = ensure_cashier_group()
    for code, name, till, token, username in DEMO_STORES:
        store, _ = Store.objects.get_or_create(code=code, defaults={"name": name, "currency": "EUR"})
        Terminal.objects.get_or_create(
            store=store, name=till, defaults={"token_hash": hash_token(token), "token_hint": token[:8]}
        )
        user = ensure_user(username, staff=False, group=cashiers)
        Cashier.objects.get_or_create(user=user, defaults={"store": store})
        lines.append(
            f"Store {code}: cashier {username} / {DEMO_PASSWORDS[username]} (at /pos/), terminal token {token}"
        )
    return lines


def ensure_products() -> None:
    categories = {c.code: c for c in Category.objects.all()}
    for sku, barcode, name, category, price in DEMO_PRODUCTS:
        Product.objects.get_or_create(
            sku=sku,
            defaults={"barcode": barcode, "name": name, "category": categories[category], "price": Decimal(price)},
        )


def build_demo() -> list[str]:
    """Create the demo; return the lines to print (logins, what was made)."""
    ensure_default_programme()
    ensure_categories()
    ensure_products()
    managers = ensure_manager_group()
    manager = ensure_user("manager", staff=True, group=managers)
    store_lines = ensure_stores()
    batch = CardBatch.objects.filter(name=DEMO_BATCH_NAME).first()
    if batch is None:
        batch = batch_issue(count=50, name=DEMO_BATCH_NAME, created_by=manager)
    return [
        f"Manager (admin at /admin/): manager / {DEMO_PASSWORDS['manager']}",
        *store_lines,
        f"Demo card batch #{batch.pk}: {batch.first_number} … {batch.last_number}",
    ]
