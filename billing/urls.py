from django.urls import path

from billing import api

app_name = "billing"

# Included under /api/.
urlpatterns = [
    path("auth/user/checkout/", api.CheckoutApi.as_view(), name="member-checkout"),
    path("auth/user/billing-portal/", api.BillingPortalApi.as_view(), name="member-billing-portal"),
    path("stripe/webhook/", api.StripeWebhookView.as_view(), name="stripe-webhook"),
]
