"""Catalog API: products, their variants, the category tree. Public cached reads,
admin writes. Thin: validate, select or serve, render."""

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.http import HttpResponse, QueryDict
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from catalog import cache as product_cache
from catalog import selectors, services
from catalog.models import Category, Product, ProductVariant
from catalog.serializers import (
    CategoryOutputSerializer,
    CategoryWriteSerializer,
    ProductListQuerySerializer,
    ProductOutputSerializer,
    ProductWriteSerializer,
    VariantCreateSerializer,
    VariantOutputSerializer,
    VariantUpdateSerializer,
    variant_input,
)
from ecommerce.api.envelope import JSON_CONTENT_TYPE, render_json, success_body
from ecommerce.api.ids import PREFIXES, parse_public_id, uuid_from_path
from ecommerce.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PageLimitPagination,
    pagination_meta,
    parse_page_params,
)

_SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,280}$")

_CACHE_HEADERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=False,
        description="An ETag from an earlier response: 304 with no body when it still matches.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="Identifies this representation; send it back in If-None-Match.",
    ),
    OpenApiParameter(
        "X-Cache",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        enum=["HIT", "MISS"],
        description="HIT when Redis served the response, MISS when PostgreSQL did.",
    ),
]
_ID_OR_SLUG = OpenApiParameter(
    "id_or_slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="`prod_<32 hex digits>` or the product's slug.",
)
_VARIANT_ID = OpenApiParameter(
    "variant_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="`var_<32 hex digits>`, a variant of this product.",
)
_CATEGORY_SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The category's slug (any case)."
)
_CACHED_RESPONSE_HEADERS: dict[str, Any] = {"description": "The data, from Redis or PostgreSQL."}
_WRITE_ERRORS = {
    400: OpenApiResponse(description="A field is not valid (validation_error, naming it)."),
    404: OpenApiResponse(description="No such product (not_found)."),
    409: OpenApiResponse(description="The slug or a SKU is taken (conflict)."),
}


# The list envelope, with ``pagination``: a raw schema, as the envelope hook
# wraps only bodies that are not enveloped yet.
_PRODUCT_LIST_SCHEMA = PageLimitPagination().get_paginated_response_schema(
    {"type": "array", "items": {"$ref": "#/components/schemas/ProductOutput"}}
)


class ReadPublicWriteAdmin(BasePermission):
    """Anyone reads; writes are for role admin (401 anonymous, 403 customer)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return AllowAny().has_permission(request, view)
        return IsAdminRole().has_permission(request, view)


class ProductListView(APIView):
    permission_classes = [ReadPublicWriteAdmin]

    @extend_schema(
        tags=["products"],
        parameters=[
            ProductListQuerySerializer,
            OpenApiParameter(
                "page", OpenApiTypes.INT, required=False, description="Page number, from 1."
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                required=False,
                description=(
                    f"Items per page (default {DEFAULT_LIMIT}); above {MAX_LIMIT} is "
                    f"clamped to {MAX_LIMIT}."
                ),
            ),
            *_CACHE_HEADERS,
        ],
        responses={
            200: OpenApiResponse(_PRODUCT_LIST_SCHEMA, **_CACHED_RESPONSE_HEADERS),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
        },
        auth=[],
        operation_id="products_list",
        summary="List products (public, cached 5 minutes)",
    )
    def get(self, request: Request) -> HttpResponse:
        query = _list_query(request.META.get("QUERY_STRING", ""))
        page, limit = query.page, query.limit
        found = product_cache.product_list_cache_read(key=query.cache_key)
        if found.entry is not None:
            return _cached_response(request, found.entry, hit=True)

        products = selectors.product_list(**query.filters)
        total = products.count()
        offset = (page - 1) * limit
        items = list(products[offset : offset + limit]) if offset < total else []
        body = render_json(
            success_body(
                ProductOutputSerializer(items, many=True).data,
                pagination=pagination_meta(page, limit, total),
            )
        )
        entry = product_cache.CachedResponse.from_body(body)
        product_cache.product_list_cache_fill(
            key=query.cache_key, response=entry, token=found.token
        )
        return _cached_response(request, entry, hit=False)

    @extend_schema(
        tags=["products"],
        request=ProductWriteSerializer,
        responses={
            201: ProductOutputSerializer,
            400: _WRITE_ERRORS[400],
            409: _WRITE_ERRORS[409],
        },
        summary="Create a product (admin)",
        description=(
            "Either the simple body (`price`, optional `stock`, `sku`, `weight`: one variant, "
            "no options) or `options` with `variants`, one per combination sold. Without "
            "`slug`, one is generated from `name` and made unique (`wireless-mouse`, then "
            "`wireless-mouse-2`...); without a variant's `sku`, one from the slug. An unknown "
            "`category` slug is created at the root. Nothing is written when anything is refused."
        ),
    )
    def post(self, request: Request) -> Response:
        body = ProductWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.product_create(**body.service_arguments())
        return Response(_product_data(product.pk), status=status.HTTP_201_CREATED)


class ProductDetailView(APIView):
    permission_classes = [ReadPublicWriteAdmin]

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG, *_CACHE_HEADERS],
        responses={
            200: OpenApiResponse(ProductOutputSerializer, **_CACHED_RESPONSE_HEADERS),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
            404: OpenApiResponse(description="No such product, or removed (not_found)."),
        },
        auth=[],
        summary="One product (public, cached 10 minutes)",
    )
    def get(self, request: Request, id_or_slug: str) -> HttpResponse:
        product_id = parse_public_id(PREFIXES["product"], id_or_slug)
        if product_id is not None:
            found = product_cache.product_cache_read(product_id=product_id)
        elif _SLUG_RE.match(id_or_slug):
            found = product_cache.product_cache_read_by_slug(slug=id_or_slug)
        else:
            raise NotFound()
        if found.entry is not None:
            return _cached_response(request, found.entry, hit=True)

        product = _get_product(id_or_slug)
        body = render_json(success_body(ProductOutputSerializer(product).data))
        entry = product_cache.CachedResponse.from_body(body, slug=product.slug)
        product_cache.product_cache_fill(
            product_id=product.pk, slug=product.slug, response=entry, token=found.token
        )
        return _cached_response(request, entry, hit=False)

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG],
        request=ProductWriteSerializer,
        responses={200: ProductOutputSerializer, **_WRITE_ERRORS},
        summary="Update a product (admin, partial)",
        description=(
            "Only the fields sent change; unknown fields are refused. `price`, `stock`, `sku` "
            "and `weight` change a simple product's one variant (refused on a product with "
            "several). `options` and `variants` describe the whole set: each variant is "
            "matched by `id`, else `sku`, else `options`, and updated; the others are "
            "created; variants left out leave the catalog."
        ),
    )
    def patch(self, request: Request, id_or_slug: str) -> Response:
        product = _get_product(id_or_slug)
        body = ProductWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.product_update(product=product, data=body.service_arguments())
        return Response(_product_data(product.pk))

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG],
        request=ProductWriteSerializer(partial=True),
        responses={200: ProductOutputSerializer, **_WRITE_ERRORS},
        summary="Update a product (admin, partial, same as PATCH)",
    )
    def put(self, request: Request, id_or_slug: str) -> Response:
        return self.patch(request, id_or_slug)

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG],
        request=None,
        responses={
            204: None,
            404: OpenApiResponse(description="No such product (not_found)."),
        },
        summary="Remove a product from the catalog (admin)",
        description="List and detail answer 404 afterwards; past orders keep their lines.",
    )
    def delete(self, request: Request, id_or_slug: str) -> Response:
        services.product_remove(product=_get_product(id_or_slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductVariantListView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG],
        request=VariantCreateSerializer,
        responses={
            201: VariantOutputSerializer,
            400: OpenApiResponse(
                description="Not valid, e.g. `options` not a combination of the product's "
                "options, or one another variant has (validation_error)."
            ),
            404: OpenApiResponse(description="No such product (not_found)."),
            409: OpenApiResponse(description="The SKU is taken (conflict)."),
        },
        summary="Add a variant to a product (admin)",
    )
    def post(self, request: Request, id_or_slug: str) -> Response:
        product = _get_product(id_or_slug)
        body = VariantCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        spec = variant_input(body.validated_data)
        variant = services.variant_add(
            product=product,
            options=spec.options,
            price=cast(Decimal, spec.price),  # required by VariantCreateSerializer
            stock=spec.stock or 0,
            sku=spec.sku,
            weight=spec.weight or 0,
        )
        return Response(VariantOutputSerializer(variant).data, status=status.HTTP_201_CREATED)


class ProductVariantDetailView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG, _VARIANT_ID],
        request=VariantUpdateSerializer,
        responses={
            200: VariantOutputSerializer,
            400: OpenApiResponse(description="A field is not valid (validation_error)."),
            404: OpenApiResponse(description="No such product or variant (not_found)."),
            409: OpenApiResponse(description="The SKU is taken (conflict)."),
        },
        summary="Change a variant's SKU, price, stock or weight (admin)",
        description="A stock change is recorded in the stock ledger as a staff adjustment.",
    )
    def patch(self, request: Request, id_or_slug: str, variant_id: str) -> Response:
        variant = _get_variant(id_or_slug, variant_id)
        body = VariantUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        variant = services.variant_update(variant=variant, data=dict(body.validated_data))
        return Response(VariantOutputSerializer(variant).data)

    @extend_schema(
        tags=["products"],
        parameters=[_ID_OR_SLUG, _VARIANT_ID],
        request=None,
        responses={
            204: None,
            404: OpenApiResponse(description="No such product or variant (not_found)."),
            409: OpenApiResponse(
                description="The product's last variant in the catalog (conflict)."
            ),
        },
        summary="Remove a variant from the catalog (admin)",
        description="Past order lines keep it; its SKU stays taken.",
    )
    def delete(self, request: Request, id_or_slug: str, variant_id: str) -> Response:
        services.variant_remove(variant=_get_variant(id_or_slug, variant_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryListView(APIView):
    permission_classes = [ReadPublicWriteAdmin]

    @extend_schema(
        tags=["categories"],
        parameters=_CACHE_HEADERS,
        responses={
            200: OpenApiResponse(CategoryOutputSerializer(many=True), **_CACHED_RESPONSE_HEADERS),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
        },
        auth=[],
        operation_id="categories_list",
        summary="The category tree (public, cached)",
        description=(
            "Roots in `position` order, each with its `children`, recursively. "
            "`productCount` counts the products in the catalog in a category and below it."
        ),
    )
    def get(self, request: Request) -> HttpResponse:
        key = product_cache.category_cache_key()
        found = product_cache.category_cache_read(key=key)
        if found.entry is not None:
            return _cached_response(request, found.entry, hit=True)
        data = CategoryOutputSerializer(selectors.category_tree(), many=True).data
        entry = product_cache.CachedResponse.from_body(render_json(success_body(data)))
        product_cache.category_cache_fill(key=key, response=entry, token=found.token)
        return _cached_response(request, entry, hit=False)

    @extend_schema(
        tags=["categories"],
        request=CategoryWriteSerializer,
        responses={
            201: CategoryOutputSerializer,
            400: OpenApiResponse(description="Not valid, or no such parent (validation_error)."),
            409: OpenApiResponse(description="The slug is taken (conflict)."),
        },
        summary="Create a category (admin)",
    )
    def post(self, request: Request) -> Response:
        body = CategoryWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        category = services.category_create(**body.validated_data)
        return Response(_category_data(category.slug), status=status.HTTP_201_CREATED)


class CategoryDetailView(APIView):
    permission_classes = [ReadPublicWriteAdmin]

    @extend_schema(
        tags=["categories"],
        parameters=[_CATEGORY_SLUG, *_CACHE_HEADERS],
        responses={
            200: OpenApiResponse(CategoryOutputSerializer, **_CACHED_RESPONSE_HEADERS),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
            404: OpenApiResponse(description="No such category (not_found)."),
        },
        auth=[],
        summary="One category with its children (public, cached)",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        if not _SLUG_RE.match(slug) or len(slug) > 100:
            raise NotFound()
        key = product_cache.category_cache_key(slug.lower())
        found = product_cache.category_cache_read(key=key)
        if found.entry is not None:
            return _cached_response(request, found.entry, hit=True)
        node = selectors.category_find(selectors.category_tree(), slug)
        if node is None:
            raise NotFound()
        data = CategoryOutputSerializer(node).data
        entry = product_cache.CachedResponse.from_body(render_json(success_body(data)))
        product_cache.category_cache_fill(key=key, response=entry, token=found.token)
        return _cached_response(request, entry, hit=False)

    @extend_schema(
        tags=["categories"],
        parameters=[_CATEGORY_SLUG],
        request=CategoryWriteSerializer,
        responses={
            200: CategoryOutputSerializer,
            400: OpenApiResponse(
                description="Not valid; a parent that is the category itself or one of its "
                "descendants, or does not exist (validation_error)."
            ),
            404: OpenApiResponse(description="No such category (not_found)."),
            409: OpenApiResponse(description="The slug is taken (conflict)."),
        },
        summary="Rename, move or reorder a category (admin)",
    )
    def patch(self, request: Request, slug: str) -> Response:
        category = _get_category(slug)
        body = CategoryWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        category = services.category_update(category=category, data=dict(body.validated_data))
        return Response(_category_data(category.slug))

    @extend_schema(
        tags=["categories"],
        parameters=[_CATEGORY_SLUG],
        request=None,
        responses={
            204: None,
            404: OpenApiResponse(description="No such category (not_found)."),
            409: OpenApiResponse(description="It has products or children (conflict)."),
        },
        summary="Delete an empty category (admin)",
    )
    def delete(self, request: Request, slug: str) -> Response:
        services.category_delete(category=_get_category(slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _product_data(product_id) -> dict:
    """The product as it now is (variants and options read fresh, after the write)."""
    product = selectors.products_with_details(Product.objects.filter(pk=product_id)).get()
    return ProductOutputSerializer(product).data


def _category_data(slug: str) -> dict:
    node = selectors.category_find(selectors.category_tree(), slug)
    return CategoryOutputSerializer(node).data


def _get_category(slug: str) -> Category:
    category = selectors.category_get(slug=slug) if _SLUG_RE.match(slug) else None
    if category is None:
        raise NotFound()
    return category


def _get_variant(id_or_slug: str, variant_id: str) -> ProductVariant:
    product = _get_product(id_or_slug)
    variant = selectors.variant_get(
        product=product, variant_id=uuid_from_path(PREFIXES["variant"], variant_id)
    )
    if variant is None:
        raise NotFound()
    return variant


def _get_product(id_or_slug: str) -> Product:
    product_id = parse_public_id(PREFIXES["product"], id_or_slug)
    if product_id is not None:
        product = selectors.product_get(product_id=product_id)
    elif _SLUG_RE.match(id_or_slug):
        product = selectors.product_get_by_slug(slug=id_or_slug)
    else:
        product = None
    if product is None:
        raise NotFound()
    return product


@dataclass(frozen=True)
class ListQuery:
    """A product list request, validated and normalised."""

    filters: dict[str, Any]  # catalog.selectors.product_list arguments; read only
    page: int
    limit: int
    cache_key: str


# A pure function of the query string, and on the hot path of every list read
# (validation through a DRF serializer costs more than the cache hit itself):
# memoised per process, bounded. Invalid queries raise and are not memoised.
@functools.lru_cache(maxsize=2048)
def _list_query(query_string: str) -> ListQuery:
    """Validated, normalised filters plus page and limit; every problem in one 400."""
    params = QueryDict(query_string)
    errors: dict[str, Any] = {}
    page, limit = 1, DEFAULT_LIMIT
    try:
        page, limit = parse_page_params(params)
    except ValidationError as exc:
        errors.update(exc.detail)  # type: ignore[arg-type]
    query = ProductListQuerySerializer(data=params)
    if not query.is_valid():
        errors.update(query.errors)
    if errors:
        raise ValidationError(errors)
    filters = query.selector_filters()
    cache_key = product_cache.product_list_cache_key(
        {**filters, "page": page, "limit": limit, "sort": filters["sort"].value}
    )
    return ListQuery(filters=filters, page=page, limit=limit, cache_key=cache_key)


def _cached_response(
    request: Request, entry: product_cache.CachedResponse, *, hit: bool
) -> HttpResponse:
    if _etag_matches(request.headers.get("If-None-Match", ""), entry.etag):
        response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
        # No body, so no media type (HttpResponse would claim text/html).
        del response["Content-Type"]
    else:
        response = HttpResponse(entry.body, content_type=JSON_CONTENT_TYPE)
    response["ETag"] = entry.etag
    response["X-Cache"] = "HIT" if hit else "MISS"
    # Shared caches and browsers must revalidate: the next read after a write
    # has to see it, and a 304 costs no body.
    response["Cache-Control"] = "no-cache"
    return response


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 prescribes for If-None-Match."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(candidate.removeprefix("W/") == etag for candidate in parse_etags(header))
