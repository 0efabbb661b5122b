"""Settings shared by every environment, one module per concern.

Every value comes from the environment (reunite/env.py), with a safe default for
development; `.env.example` lists every variable (a test keeps it complete). Each knob is
documented once, next to it in its module.
"""

# core first: it reads the .env file that the other modules' variables may come from.
from reunite.settings.accounts import *  # noqa: F403
from reunite.settings.api import *  # noqa: F403
from reunite.settings.core import *  # noqa: F403
from reunite.settings.matching import *  # noqa: F403
from reunite.settings.operations import *  # noqa: F403
from reunite.settings.safeguards import *  # noqa: F403
from reunite.settings.storage import *  # noqa: F403
from reunite.settings.tasks import *  # noqa: F403
from reunite.settings.uploads import *  # noqa: F403
