"""Save a designed discount scale as a programme's levels, in one step.

Accounts hold their level by a PROTECT foreign key, and a level, once reached, is part of an agreement
with the customer (domain.md: never lowered except by the published inactivity rule or a refund).
So the scale is written *by rank*: the lowest new level goes into the row of the lowest existing level,
and so on up. Existing rows get the new name, threshold and percent in place, so every customer keeps
their rank and gets that rank's new terms; a longer scale adds rows at the top; a shorter scale deletes
only top rows that no account holds, and is refused, changing nothing, if an account holds one.
Levels are never recomputed here: a customer whose spend is below their rank's new threshold keeps the
rank (it can only be lowered by the published rules), and purchases lift anyone who reaches a new
threshold from their next purchase on.

Who saved which scale, and what it replaced, goes to the admin's history of the programme (LogEntry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count

from core.errors import DomainError, InvalidInput
from loyalty.models import Account, Level, Programme
from loyalty.signals import terms_changed


@dataclass(frozen=True)
class PlannedLevel:
    name: str
    threshold: Decimal
    percent: Decimal


def _check(levels: Sequence[PlannedLevel], programme: Programme) -> list[PlannedLevel]:
    if not levels:
        raise InvalidInput("A scale needs at least one level.")
    ordered = sorted(levels, key=lambda lv: lv.threshold)
    if len({lv.name.strip() for lv in ordered}) != len(ordered) or any(not lv.name.strip() for lv in ordered):
        raise InvalidInput("Every level needs its own name.", code="level_names_not_unique")
    if len({lv.threshold for lv in ordered}) != len(ordered):
        raise InvalidInput("Two levels start at the same spend.", code="level_thresholds_not_unique")
    if any(lv.threshold < 0 for lv in ordered):
        raise InvalidInput("A level cannot start below zero spend.")
    if any(lv.percent < 0 or lv.percent > programme.ceiling_percent for lv in ordered):
        raise InvalidInput(
            "Every percent must lie between 0 and the programme's ceiling of {ceiling} %: "
            "raise the ceiling first (above 20 % it needs a written justification).",
            code="level_above_ceiling",
            params={"ceiling": programme.ceiling_percent},
        )
    return ordered


def _refuse_held(surplus: list[Level]) -> None:
    held = dict(Account.objects.filter(level__in=surplus).values_list("level__name").annotate(n=Count("id")).order_by())
    if held:
        names = ", ".join(f"{name} ({n} cards)" for name, n in sorted(held.items()))
        raise DomainError(
            "The new scale has fewer levels, but customers hold the levels it would remove: {names}. "
            "Keep at least as many levels (change their thresholds and percents instead).",
            code="levels_held_by_customers",
            params={"names": names},
        )


def _describe(levels) -> str:
    return "; ".join(f"{lv.name} from {lv.threshold} at {lv.percent} %" for lv in levels) or "none"


def programme_levels_replace(*, programme_id: int, levels: Sequence[PlannedLevel], by) -> list[Level]:
    """Replace the programme's levels by `levels`, by rank (see the module docstring). Returns the new levels."""
    with transaction.atomic(durable=True):
        # The programme row lock makes two managers saving scales at once take turns.
        programme = Programme.objects.select_for_update().get(pk=programme_id)
        ordered = _check(levels, programme)
        existing = list(Level.objects.select_for_update().filter(programme=programme).order_by("threshold", "id"))
        kept, surplus = existing[: len(ordered)], existing[len(ordered) :]
        _refuse_held(surplus)
        before = _describe(existing)
        Level.objects.filter(pk__in=[lv.pk for lv in surplus]).delete()
        # Park the kept rows first: writing the new values straight away could meet another row's old name or
        # threshold and trip the unique constraints halfway through.
        for i, level in enumerate(kept):
            Level.objects.filter(pk=level.pk).update(name=f"~{level.pk}", threshold=-(i + 1))
        for level, plan in zip(kept, ordered, strict=False):
            Level.objects.filter(pk=level.pk).update(
                name=plan.name.strip(), threshold=plan.threshold, percent=plan.percent
            )
        Level.objects.bulk_create(
            Level(programme=programme, name=p.name.strip(), threshold=p.threshold, percent=p.percent)
            for p in ordered[len(kept) :]
        )
        terms_changed(programme.pk)  # the updates and bulk_create above send no signals
        saved = list(Level.objects.filter(programme=programme).order_by("threshold"))
        _audit(programme, by, f"Levels replaced from the scale designer. Before: {before}. After: {_describe(saved)}.")
        return saved


def _audit(programme: Programme, by, message: str) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type_id=ContentType.objects.get_for_model(Programme).pk,
        object_id=str(programme.pk),
        object_repr=str(programme)[:200],
        action_flag=CHANGE,
        change_message=message,
    )
