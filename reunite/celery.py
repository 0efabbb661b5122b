import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")

app = Celery("reunite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _logging_from_settings(**kwargs: object) -> None:
    """Workers keep Django's LOGGING (REUNITE_LOG_FORMAT, the task id on every line).

    With a receiver here Celery installs no handlers or formats of its own; `-l` is then
    ignored and REUNITE_LOG_LEVEL decides.
    """
