from django.urls import path

from payments.api import PaymentCancelApi, PaymentListDeclareApi, PaymentMethodListApi, PaymentProofApi

urlpatterns = [
    path("payment-methods/", PaymentMethodListApi.as_view(), name="payment-methods"),
    path("auth/user/payments/", PaymentListDeclareApi.as_view(), name="member-payments"),
    path("auth/user/payments/<int:pk>/cancel/", PaymentCancelApi.as_view(), name="member-payment-cancel"),
    path("auth/user/payments/<int:pk>/proof/", PaymentProofApi.as_view(), name="member-payment-proof"),
]
