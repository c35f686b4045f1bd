"""Development settings: base settings, DEBUG from DJANGO_DEBUG (start.sh sets it)."""

from .base import *  # noqa: F403
