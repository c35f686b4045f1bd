"""The daily notifications command, run by the tests at a chosen instant."""

from io import StringIO

import time_machine
from django.core.management import call_command

COMMAND = "process_subscription_notifications"


def run_at(moment, *args) -> str:
    """`manage.py process_subscription_notifications [args]` with the clock stopped at `moment`; its output."""
    out = StringIO()
    with time_machine.travel(moment, tick=False):
        call_command(COMMAND, *args, stdout=out)
    return out.getvalue()
