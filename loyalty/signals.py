"""Renew a programme's terms stamp when its levels, time windows or the chain's categories change.

Cache coherence, not business logic (which architecture.md keeps out of signals): a signal is the
one place that sees every save and delete, from the admin, the services, a shell or a fixture.

Each process keeps those terms between requests (loyalty.selectors.programme_terms) and reads them
again when the stamp on the programme row differs. Saves and deletes through the ORM land here;
code that changes levels with queryset.update() or bulk_create() calls `terms_changed` itself.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from loyalty.models import Category, Level, Programme, TimeWindow, new_terms_stamp


def terms_changed(programme_id: int | None = None) -> str:
    """A new stamp for one programme, or for all (categories belong to every programme's pricing)."""
    programmes = Programme.objects.all() if programme_id is None else Programme.objects.filter(pk=programme_id)
    stamp = new_terms_stamp()
    programmes.update(terms_stamp=stamp)
    return stamp


@receiver([post_save, post_delete], sender=Level)
@receiver([post_save, post_delete], sender=TimeWindow)
def _programme_part_changed(sender, instance, **kwargs):
    stamp = terms_changed(instance.programme_id)
    if sender.programme.is_cached(instance):  # the caller's programme object sees its new terms too
        instance.programme.terms_stamp = stamp


@receiver([post_save, post_delete], sender=Category)
def _category_changed(sender, instance, **kwargs):
    terms_changed()
