from django.urls import path

from trading_signals import api

urlpatterns = [
    path("auth/user/signals/", api.SignalListApi.as_view(), name="user-signals"),
    path("auth/user/signals/stats/", api.SignalStatsApi.as_view(), name="user-signals-stats"),
]
