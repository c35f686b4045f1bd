"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """Rows of another app shown on a member's admin page, to read only: every field listed in `fields` is
    read-only, and no row is added or deleted there (each app's own admin and services change them)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Records to read only: listed and opened in the admin, never added, changed nor deleted there (the services
    write them)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
