from django.apps import AppConfig


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = "Cases and reports"

    def ready(self) -> None:
        from cases import (
            authentication,  # noqa: F401  (registers the OpenAPI auth scheme)
            signals,  # noqa: F401  (audits sign-ins)
            webhook_tasks,  # noqa: F401  (registers the webhook tasks with Celery)
        )
