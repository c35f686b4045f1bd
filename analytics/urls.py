from django.urls import path

from analytics import api

urlpatterns = [
    path("admin/stats/", api.AdminStatsApi.as_view(), name="admin-stats"),
]
