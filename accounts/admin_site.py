"""The project's admin site: Django's, with its login held to the same throttle budgets as the API's login.

Installed through `AccountsAdminConfig.default_site` (accounts/admin_config.py), Django's documented way to replace
the default site, so every `admin.site.register` / `@admin.register` keeps working unchanged.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.response import SimpleTemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.throttles import throttle_message

THROTTLED = "throttled"

# rest_framework_simplejwt's token blacklist stays installed (refresh rotation and logout write it) but out of the
# admin: a row per token ever issued, nothing an admin acts on (a member is cut off by deactivating the account).
HIDDEN_FROM_ADMIN = ("token_blacklist.OutstandingToken", "token_blacklist.BlacklistedToken")


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Spends the "login" scope's per-IP and per-member budgets (shared with /api/auth/login/ and
    /espace/connexion/) before checking the password: past the limit even the right password is refused."""

    # Django's message says the fields "may be case-sensitive" (the address is not) in ungrammatical French; one
    # message for an unknown address, a wrong password and a member without staff access, as everywhere else.
    error_messages = {
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect, ou compte sans accès à l'administration."),
        "inactive": _("Adresse e-mail ou mot de passe incorrect, ou compte sans accès à l'administration."),
    }

    def clean(self):
        if self.request is None:  # AdminSite.login always passes it; the budgets are counted per IP
            raise TypeError("ThrottledAdminAuthenticationForm needs the request.")
        message = throttle_message(request=self.request, scope="login", email=self.data.get("username", ""))
        if message:
            raise ValidationError(message, code=THROTTLED)
        return super().clean()


class CalmnessAdminSite(admin.AdminSite):
    login_form = ThrottledAdminAuthenticationForm
    site_header = _("CalmnessFi — Administration")
    site_title = _("CalmnessFi — Administration")
    index_title = _("Accueil")  # Django's "Site d'administration" would repeat the title beside it
    site_url = "/espace/"  # "Voir le site": the member space (the site's root only redirects there)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        context = response.context_data if isinstance(response, SimpleTemplateResponse) else None
        form = context.get("form") if context else None
        if form is not None and form.has_error(NON_FIELD_ERRORS, code=THROTTLED):
            response.status_code = 429
        return response
