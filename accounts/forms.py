"""The login form of the member space (/espace/connexion/) and the one wording of a refused login."""

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

# The same words for an unknown address, a wrong password and an inactive account, on the page and in the API
# (accounts/api.py): nothing tells whether an address has an account. Login ignores the address's case.
INVALID_LOGIN = _("Adresse e-mail ou mot de passe incorrect.")


class MemberAuthenticationForm(AuthenticationForm):
    """Django's form (its field names, the authenticate() call) with our message instead of Django's, which speaks of
    fields that "may be case-sensitive" and whose French translation is ungrammatical with our field's name."""

    error_messages = {"invalid_login": INVALID_LOGIN, "inactive": INVALID_LOGIN}
