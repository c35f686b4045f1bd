"""The admin's app config, apart from accounts/apps.py so Django's detection of that app's config stays simple."""

from django.contrib.admin.apps import AdminConfig


class AccountsAdminConfig(AdminConfig):
    """django.contrib.admin whose default site is ours (accounts/admin_site.py: a throttled login)."""

    default_site = "accounts.admin_site.CalmnessAdminSite"
