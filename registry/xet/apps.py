from django.apps import AppConfig


class XetConfig(AppConfig):
    name = "registry.xet"
    label = "xet"
    verbose_name = "Xet storage (CAS)"
    default_auto_field = "django.db.models.BigAutoField"
