"""`PYLON_` variables that name no setting: a misspelt one (`PYLON_NETUDI`) is otherwise
ignored without a word, and the server runs on the default the user meant to change."""

from __future__ import annotations

from difflib import get_close_matches

from pydantic_settings import DotEnvSettingsSource, EnvSettingsSource

from .model import Settings

PREFIX = "PYLON_"


def unknown_variables() -> list[str]:
    """One line per `PYLON_` variable of the environment or of `.env` that no setting reads,
    with the setting it is closest to, if one is close."""
    known = {name.upper() for name in Settings.model_fields}
    found: dict[str, str] = {}
    sources = (("the environment", EnvSettingsSource), (".env", DotEnvSettingsSource))
    for where, source in sources:
        # The sources pydantic-settings reads the settings from, so the same file and names.
        for key in source(Settings).env_vars:
            name = key.upper()
            if name.startswith(PREFIX) and name.removeprefix(PREFIX) not in known:
                found.setdefault(name, where)
    lines = []
    for name, where in sorted(found.items()):
        close = get_close_matches(name.removeprefix(PREFIX), known, n=1)
        hint = f" (did you mean {PREFIX}{close[0]}?)" if close else ""
        lines.append(f"unknown setting {name}{hint} in {where}: it is ignored")
    return lines
