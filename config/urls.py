from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics.admin_views import dashboard_view
from core.exceptions import api_not_found
from member_space import views as member_space_views

handler400 = "core.exceptions.handler400"
handler403 = "core.exceptions.handler403"
handler404 = "core.exceptions.handler404"
handler500 = "core.exceptions.handler500"

# Each app owns its URLs; the prefixes are the SPEC's.
api_patterns: list[URLPattern | URLResolver] = [
    path("", include("core.urls")),
    path("auth/", include("accounts.urls")),
    path("", include("subscriptions.urls")),
    path("", include("payments.urls")),
    path("", include("notifications.urls")),
    path("", include("channels_sync.urls")),
    path("", include("billing.urls")),
    path("", include("formations.urls")),
    path("", include("trading_signals.urls")),
    path("", include("trials.urls")),
    path("", include("analytics.urls")),  # the admins' figures (staff only)
    path("", include("member_space.api_urls")),  # the member's cross-app reads (dashboard, subscriptions)
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from /api/docs/?script, not inline (CSP: script-src 'self').
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"),
        name="docs",
    ),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    # The site's root is the member space (not permanent: a browser must not remember it if the root changes).
    path("", RedirectView.as_view(pattern_name="member_space:dashboard", permanent=False)),
    path("favicon.ico", member_space_views.favicon),
    # The admins' "Tableau de bord": a page of the admin site (staff only, through admin_view), before its URLs.
    path("admin/tableau-de-bord/", admin.site.admin_view(dashboard_view), name="analytics-dashboard"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("espace/", include("member_space.urls")),
]
