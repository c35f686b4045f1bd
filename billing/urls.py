from django.urls import path

from billing import api

app_name = "billing"

# Included under /api/.
urlpatterns = [
    path("stripe/webhook/", api.StripeWebhookView.as_view(), name="stripe-webhook"),
]
