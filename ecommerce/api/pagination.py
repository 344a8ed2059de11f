"""``page``/``limit`` pagination with the contract's ``pagination`` object."""

import math
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from ecommerce.api.envelope import success_body

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Largest ``page`` or ``limit`` accepted: an absurd page number must not become
# an absurd OFFSET. (``limit`` above MAX_LIMIT is clamped, up to this.)
PARAM_MAX = 10_000_000

# ``page`` and ``limit`` in the schema of an APIView that paginates itself
# (drf-spectacular reads a paginator's parameters on generic list views only).
PAGE_LIMIT_PARAMETERS = [
    OpenApiParameter("page", int, required=False, description="Page number, from 1 (default 1)."),
    OpenApiParameter(
        "limit",
        int,
        required=False,
        description=(
            f"Items per page (default {DEFAULT_LIMIT}); above {MAX_LIMIT} is "
            f"clamped to {MAX_LIMIT}."
        ),
    ),
]


def parse_page_params(params: Any) -> tuple[int, int]:
    """Return ``(page, limit)`` from query parameters; 400 on malformed values.

    ``limit`` above the maximum is clamped rather than refused, as the contract says.
    """
    errors: dict[str, list[str]] = {}
    page = _positive_int(params.get("page"), 1, "page", errors)
    limit = _positive_int(params.get("limit"), DEFAULT_LIMIT, "limit", errors)
    if errors:
        raise ValidationError(errors)
    return page, min(limit, MAX_LIMIT)


def _positive_int(raw: str | None, default: int, name: str, errors: dict) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = ["A whole number is required."]
        return default
    if value < 1:
        errors[name] = ["Must be 1 or greater."]
    elif value > PARAM_MAX:
        errors[name] = [f"Must be at most {PARAM_MAX}."]
    return value


def pagination_meta(page: int, limit: int, total: int) -> dict[str, int]:
    return {"page": page, "limit": limit, "total": total, "pages": math.ceil(total / limit)}


class PageLimitPagination(BasePagination):
    """Pages past the end are an empty page, not a 404."""

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list:  # type: ignore[override]
        self.page, self.limit = parse_page_params(request.query_params)
        self.total = queryset.count()
        offset = (self.page - 1) * self.limit
        if offset >= self.total:
            return []
        return list(queryset[offset : offset + self.limit])

    def get_paginated_response(self, data: Any) -> Response:  # a ReturnList, typed ReturnDict
        return Response(
            success_body(data, pagination=pagination_meta(self.page, self.limit, self.total))
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["success", "data", "pagination"],
            "properties": {
                "success": {"type": "boolean", "enum": [True]},
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["page", "limit", "total", "pages"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1},
                        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        "total": {"type": "integer", "minimum": 0},
                        "pages": {"type": "integer", "minimum": 0},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Items per page; above {MAX_LIMIT} is clamped to {MAX_LIMIT}.",
                "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
            },
        ]
