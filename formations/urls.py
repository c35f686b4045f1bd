from django.urls import path

from formations import api

urlpatterns = [
    path("auth/user/formations/", api.FormationListApi.as_view(), name="user-formations"),
    path("auth/user/formations/<slug:slug>/", api.FormationDetailApi.as_view(), name="user-formation-detail"),
    path("auth/user/lessons/<int:pk>/complete/", api.LessonCompleteApi.as_view(), name="user-lesson-complete"),
]
