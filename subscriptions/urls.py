from django.urls import path

from subscriptions.api import DashboardApi, PlanListApi, SubscriptionListApi

urlpatterns = [
    path("plans/", PlanListApi.as_view(), name="plan-list"),
    path("auth/user/subscriptions/", SubscriptionListApi.as_view(), name="member-subscriptions"),
    path("auth/user/dashboard/", DashboardApi.as_view(), name="member-dashboard"),
]
