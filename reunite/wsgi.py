import os

from django.core.wsgi import get_wsgi_application

from reunite.memory import large_allocations_returned

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
# A decoded photo's buffers go back to the system when the request ends (docs/operations.md).
large_allocations_returned()
application = get_wsgi_application()
