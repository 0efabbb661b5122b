from reunite.env import env_bool
from reunite.settings.base import *  # noqa: F403

# Off by default even for `make run`: Django's debug 404 lists every URL, and people trying
# the service should see the pages real users see. DJANGO_DEBUG=true turns it on.
DEBUG = env_bool("DJANGO_DEBUG", False)

# runserver serves no static files with DEBUG off; WhiteNoise serves them from the source
# folders instead, re-reading them as they change.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
