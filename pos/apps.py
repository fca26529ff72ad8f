from django.apps import AppConfig


class PosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pos"

    def ready(self):
        from pos import schema  # noqa: F401  registers the OpenAPI auth schemes
