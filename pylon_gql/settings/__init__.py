"""Settings, read once at start from the environment (prefix ``PYLON_``) and ``.env``.

`model` holds the fields, `rules` what one value must be, `errors` how an impossible setting is
told (one line), `unknown` which `PYLON_` variables name no setting. What needs the machine or
the chain to judge is in pylon_gql/startup_checks.py.
"""

from .errors import SettingsError, describe_errors
from .model import LogFormat, LogLevel, Settings
from .rules import NETWORK_URLS
from .unknown import unknown_variables

__all__ = [
    "NETWORK_URLS",
    "LogFormat",
    "LogLevel",
    "Settings",
    "SettingsError",
    "describe_errors",
    "unknown_variables",
]
