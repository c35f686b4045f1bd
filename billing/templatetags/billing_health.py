"""`{% stripe_reconcile_overdue as late %}` for the admin index: the Stripe reconciliation without a recent success."""

from django import template

from billing.reconcile import stripe_reconcile_overdue as overdue

register = template.Library()


@register.simple_tag
def stripe_reconcile_overdue():
    return overdue()
