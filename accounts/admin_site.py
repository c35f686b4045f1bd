"""The project's admin site: Django's, with its login held to the same throttle budgets as the API's login.

Installed through `AccountsAdminConfig.default_site` (accounts/admin_config.py), Django's documented way to replace
the default site, so every `admin.site.register` / `@admin.register` keeps working unchanged.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.response import SimpleTemplateResponse

from accounts.throttles import throttle_message

THROTTLED = "throttled"


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Spends the "login" scope's per-IP and per-member budgets (shared with /api/auth/login/ and
    /espace/connexion/) before checking the password: past the limit even the right password is refused."""

    def clean(self):
        if self.request is None:  # AdminSite.login always passes it; the budgets are counted per IP
            raise TypeError("ThrottledAdminAuthenticationForm needs the request.")
        message = throttle_message(request=self.request, scope="login", email=self.data.get("username", ""))
        if message:
            raise ValidationError(message, code=THROTTLED)
        return super().clean()


class CalmnessAdminSite(admin.AdminSite):
    login_form = ThrottledAdminAuthenticationForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        context = response.context_data if isinstance(response, SimpleTemplateResponse) else None
        form = context.get("form") if context else None
        if form is not None and form.has_error(NON_FIELD_ERRORS, code=THROTTLED):
            response.status_code = 429
        return response
