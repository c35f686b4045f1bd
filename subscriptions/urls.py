from django.urls import path

from subscriptions.api import PlanListApi

urlpatterns = [
    path("plans/", PlanListApi.as_view(), name="plan-list"),
]
