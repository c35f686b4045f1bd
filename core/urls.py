from django.urls import path

from core.api import HealthApi, ReadyApi

urlpatterns = [
    path("health/", HealthApi.as_view(), name="health"),
    path("ready/", ReadyApi.as_view(), name="ready"),
]
