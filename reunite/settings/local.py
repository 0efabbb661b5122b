from reunite.settings.base import *  # noqa: F403
from reunite.env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
