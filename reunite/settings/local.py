from reunite.env import env_bool
from reunite.settings.base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)

WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
