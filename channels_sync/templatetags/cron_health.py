"""`{% overdue_crons as overdue %}` for the admin index: cron commands without a recent successful run."""

from django import template

from core.services import overdue_crons as overdue_crons_list

register = template.Library()


@register.simple_tag
def overdue_crons():
    return overdue_crons_list()
