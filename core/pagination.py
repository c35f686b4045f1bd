from typing import Any

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Numéro de page (à partir de 1)."),
    OpenApiParameter("page_size", int, description="Éléments par page (100 au plus)."),
]


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def page_schema(name: str, item_serializer) -> serializers.Serializer:
    """OpenAPI shape of a StandardPagination page whose `results` are `item_serializer` items."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer(many=True),
        },
    )


def paginated_response(*, request, view, queryset, serializer_class, context=None):
    """One page of `queryset`, serialised, in the StandardPagination envelope."""
    paginator = StandardPagination()
    page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context or {}).data)
