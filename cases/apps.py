from django.apps import AppConfig


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = "Cases and reports"

    def ready(self) -> None:
        # Imported for their side effects: each registers something with a framework.
        from cases.access import (
            authentication,  # noqa: F401  (the OpenAPI auth scheme)
            checks,  # noqa: F401  (check --deploy: standing superusers)
            draft_keys,  # noqa: F401  (the field-capture draft key, made at sign-in)
        )
        from cases.audit import receivers  # noqa: F401  (audits sign-ins)
        from cases.audit import tasks as audit_tasks  # noqa: F401  (Celery tasks)
        from cases.partners import tasks as partner_tasks  # noqa: F401  (Celery tasks)
        from cases.safeguards import tasks as safeguard_tasks  # noqa: F401  (Celery tasks)
