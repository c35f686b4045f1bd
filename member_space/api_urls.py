"""The member's cross-app reads under /api/ (the pages' URLs are in member_space/urls.py)."""

from django.urls import path

from invoicing.api import PaymentInvoiceApi
from member_space.api import DashboardApi, SubscriptionListApi

urlpatterns = [
    path("auth/user/subscriptions/", SubscriptionListApi.as_view(), name="member-subscriptions"),
    path("auth/user/dashboard/", DashboardApi.as_view(), name="member-dashboard"),
    path("auth/user/payments/<int:pk>/invoice/", PaymentInvoiceApi.as_view(), name="member-payment-invoice"),
]
