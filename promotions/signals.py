"""Campaigns and coupons' campaigns are part of every sale's pricing terms: a change renews the programmes'
terms stamp, so each process reads the campaigns in force again (promotions/selectors.py), as it does
the levels and windows (loyalty/signals.py). Cache coherence, not business logic."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from loyalty.signals import terms_changed
from promotions.models import Campaign


@receiver([post_save, post_delete], sender=Campaign)
@receiver(m2m_changed, sender=Campaign.categories.through)
def _campaign_changed(sender, **kwargs):
    terms_changed()
