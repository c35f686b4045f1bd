from django.urls import path

from trials.api import TrialStartApi

urlpatterns = [
    path("auth/user/trial/", TrialStartApi.as_view(), name="member-trial"),
]
