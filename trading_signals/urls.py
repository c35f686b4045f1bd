from django.urls import path

from trading_signals import api

urlpatterns = [
    path("auth/user/signals/", api.SignalListApi.as_view(), name="user-signals"),
    path("auth/user/signals/stats/", api.SignalStatsApi.as_view(), name="user-signals-stats"),
    # Staff: create and publish, change the status, correct (trading_signals.services).
    path("admin/signals/", api.AdminSignalCreateApi.as_view(), name="admin-signals"),
    path("admin/signals/<int:pk>/", api.AdminSignalCorrectApi.as_view(), name="admin-signal-correct"),
    path("admin/signals/<int:pk>/events/", api.AdminSignalEventApi.as_view(), name="admin-signal-events"),
]
