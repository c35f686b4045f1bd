from django.urls import path

from notifications import api

urlpatterns = [
    path("auth/user/notifications/", api.NotificationListView.as_view(), name="notifications-list"),
    path("auth/user/notifications/read-all/", api.NotificationReadAllView.as_view(), name="notifications-read-all"),
    path("auth/user/notifications/<int:pk>/read/", api.NotificationReadView.as_view(), name="notifications-read"),
    path(
        "auth/user/notifications/<int:pk>/dismiss/", api.NotificationDismissView.as_view(), name="notifications-dismiss"
    ),
    path("auth/user/signal-alerts/", api.SignalAlertsView.as_view(), name="signal-alerts"),
]
