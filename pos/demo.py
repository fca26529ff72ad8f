"""The ready demo of `loyalty_demo`: everything a person needs to try the product.

Safe to run twice: every object is looked up by its natural key first.
"""

from django.contrib.auth.models import Group, Permission, User

from cards.models import CardBatch
from cards.services import batch_issue

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


def build_demo() -> list[str]:
    """Create the demo; return the lines to print (logins, what was made)."""
    managers = ensure_manager_group()
    manager = ensure_user("manager", staff=True, group=managers)
    batch = CardBatch.objects.filter(name=DEMO_BATCH_NAME).first()
    if batch is None:
        batch = batch_issue(count=50, name=DEMO_BATCH_NAME, created_by=manager)
    return [
        f"Manager (admin at /admin/): manager / {DEMO_PASSWORDS['manager']}",
        f"Demo card batch #{batch.pk}: {batch.first_number} … {batch.last_number}",
    ]
