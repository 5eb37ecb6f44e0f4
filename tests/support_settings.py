"""Running a test under other settings, set the way an operator sets them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from casework.settings import Settings, get_settings


@contextmanager
def settings_from_env(**variables: str) -> Iterator[Settings]:
    """Set ``CASEWORK_*`` variables and re-read the settings; restore both afterwards."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
