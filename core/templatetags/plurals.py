"""`{{ count }} {{ count|fr_plural:"leçon,leçons" }}`: the words that agree with the count, by the French rule
(core/plurals.py: 0 and 1 singular)."""

from django import template

from core.plurals import fr_plural as _fr_plural

register = template.Library()


@register.filter
def fr_plural(count, forms: str) -> str:
    """`forms` is "singular,plural" (e.g. "abonnement actif,abonnements actifs")."""
    singular, plural = forms.split(",")
    return _fr_plural(int(count or 0), singular, plural)
