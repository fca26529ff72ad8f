from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotions"
    verbose_name = "Promotions: campaigns and coupons"

    def ready(self):
        from promotions import signals  # noqa: F401  (renews the programmes' terms stamp)
