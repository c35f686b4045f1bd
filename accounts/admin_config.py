"""The admin's app config, apart from accounts/apps.py so Django's detection of that app's config stays simple."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class AccountsAdminConfig(AdminConfig):
    """django.contrib.admin whose default site is ours (accounts/admin_site.py: a throttled login)."""

    default_site = "accounts.admin_site.CalmnessAdminSite"

    def ready(self):
        super().ready()  # autodiscovers every app's admin module: the token blacklist's registrations are done
        from accounts.admin_site import HIDDEN_FROM_ADMIN

        for label in HIDDEN_FROM_ADMIN:
            model = apps.get_model(label)
            if admin.site.is_registered(model):
                admin.site.unregister(model)
