"""Piccolo's configuration, at the top level where ``piccolo`` looks for it.

The engine and app registry live in ``casework.piccolo_conf`` so the
installed ``casework`` command finds them from any folder.
"""

from casework.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
