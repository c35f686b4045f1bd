"""Formations API: one view per operation, every query starts from request.user."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from formations import selectors, services
from formations.models import Course, Lesson
from formations.serializers import (
    CourseDetailSerializer,
    CourseSerializer,
    LessonCompletionSerializer,
    LockedCourseDetailSerializer,
)


class FormationListApi(APIView):
    @extend_schema(
        operation_id="user_formations_list",
        summary="Formations publiées, avec accès et progression du membre",
        parameters=PAGE_PARAMETERS,
        responses=page_schema("CoursePage", CourseSerializer),
    )
    def get(self, request):
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.courses_for_member(user=request.user),
            serializer_class=CourseSerializer,
        )


class FormationDetailApi(APIView):
    @extend_schema(
        operation_id="user_formations_retrieve",
        summary="Une formation et ses leçons (contenu des leçons seulement si le membre y a accès)",
        responses={200: CourseDetailSerializer, 404: OpenApiResponse(description="Formation inconnue")},
    )
    def get(self, request, slug: str):
        try:
            course = selectors.course_for_member(user=request.user, slug=slug)
        except Course.DoesNotExist as exc:
            raise Http404 from exc
        serializer = CourseDetailSerializer if course.is_accessible else LockedCourseDetailSerializer
        return Response(serializer(course).data)


class LessonCompleteApi(APIView):
    @extend_schema(
        operation_id="user_lessons_complete",
        summary="Marquer une leçon comme terminée (idempotent)",
        request=None,
        responses={
            200: LessonCompletionSerializer,
            403: OpenApiResponse(description="Formation réservée à d'autres formules"),
            404: OpenApiResponse(description="Leçon inconnue"),
        },
    )
    def post(self, request, pk: int):
        try:
            completion = services.lesson_complete(user=request.user, lesson_id=pk)
        except (Lesson.DoesNotExist, Course.DoesNotExist) as exc:
            raise exceptions.NotFound(_("Leçon introuvable.")) from exc
        except services.CourseLocked as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        completion.course = selectors.courses_for_member(user=request.user).get(pk=completion.lesson.course_id)
        return Response(LessonCompletionSerializer(completion).data)
