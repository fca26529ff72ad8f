"""The ready demo of `loyalty_demo`: everything a person needs to try the product.

Safe to run twice: every object is looked up by its natural key first.
"""

from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User

from cards.models import CardBatch
from cards.services import batch_issue
from loyalty.models import Category, Level, Programme

MANAGER_GROUP = "managers"
DEMO_BATCH_NAME = "Demo cards"
DEMO_PASSWORDS = {"manager": "manager-demo"}


def ensure_manager_group() -> Group:
    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=["cards", "loyalty", "pos"]))
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


def build_demo() -> list[str]:
    """Create the demo; return the lines to print (logins, what was made)."""
    ensure_default_programme()
    ensure_categories()
    managers = ensure_manager_group()
    manager = ensure_user("manager", staff=True, group=managers)
    batch = CardBatch.objects.filter(name=DEMO_BATCH_NAME).first()
    if batch is None:
        batch = batch_issue(count=50, name=DEMO_BATCH_NAME, created_by=manager)
    return [
        f"Manager (admin at /admin/): manager / {DEMO_PASSWORDS['manager']}",
        f"Demo card batch #{batch.pk}: {batch.first_number} … {batch.last_number}",
    ]
