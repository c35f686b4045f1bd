from django.urls import path

from payments.api import PaymentListDeclareApi

urlpatterns = [
    path("auth/user/payments/", PaymentListDeclareApi.as_view(), name="member-payments"),
]
