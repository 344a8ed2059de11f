"""Catalog API: products, their variants, the category tree. Public cached reads,
admin writes. Thin: validate, select or serve, render."""

import functools
import re
import uuid
from collections.abc import Callable, Sequence
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
from ecommerce.ratelimit import throttling
from ecommerce.ratelimit.throttling import ApiRateThrottle

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

    def check_throttles(self, request: Request) -> None:
        if request.method == "GET":
            try:
                query = _list_query(request.META.get("QUERY_STRING", ""))
            except ValidationError:  # counted by the throttle, refused by get()
                query = None
            if query is not None:
                self._found = _read_counting(
                    self,
                    request,
                    lambda count: product_cache.product_list_cache_read(
                        key=query.cache_key, stock_filtered=query.stock_filtered, count=count
                    ),
                )
        super().check_throttles(request)

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
        found = getattr(self, "_found", None) or product_cache.product_list_cache_read(
            key=query.cache_key, stock_filtered=query.stock_filtered
        )
        if found.entry is not None:
            return _cached_response(request, found.entry, hit=True)
        if found.page is not None:
            # The page is current but some of its products changed (an order's
            # stock): render those alone.
            rendered = _render_fragments(found.missing, found.product_tokens)
            if len(rendered) == len(found.missing):
                entry = found.page.assemble({**found.fragments, **rendered})
                return _cached_response(request, entry, hit=False)

        page, limit = query.page, query.limit
        ids, total = selectors.product_page_ids(
            selectors.product_list(**query.filters), offset=(page - 1) * limit, limit=limit
        )
        # The versions before the rows: a write committing in between refuses the fill.
        tokens = product_cache.product_versions_read(product_ids=ids)
        rendered = _render_fragments(ids, tokens)
        listed = product_cache.ListPage.of(
            render_json(pagination_meta(page, limit, total)),
            (pid for pid in ids if str(pid) in rendered),
        )
        product_cache.product_list_cache_fill(
            key=query.cache_key, page=listed, token=found.token, stock_filtered=query.stock_filtered
        )
        return _cached_response(request, listed.assemble(rendered), hit=False)

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

    def check_throttles(self, request: Request) -> None:
        if request.method == "GET":
            id_or_slug = self.kwargs.get("id_or_slug", "")
            product_id = parse_public_id(PREFIXES["product"], id_or_slug)
            if product_id is not None:
                self._found = _read_counting(
                    self,
                    request,
                    lambda count: product_cache.product_cache_read(
                        product_id=product_id, count=count
                    ),
                )
            elif _SLUG_RE.match(id_or_slug):
                self._found = _read_counting(
                    self,
                    request,
                    lambda count: product_cache.product_cache_read_by_slug(
                        slug=id_or_slug, count=count
                    ),
                )
        super().check_throttles(request)

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
        found = getattr(self, "_found", None)
        product_id = parse_public_id(PREFIXES["product"], id_or_slug)
        if found is not None:
            pass
        elif product_id is not None:
            found = product_cache.product_cache_read(product_id=product_id)
        elif _SLUG_RE.match(id_or_slug):
            found = product_cache.product_cache_read_by_slug(slug=id_or_slug)
        else:
            raise NotFound()
        if found.entry is not None:
            return _cached_response(request, found.entry, hit=True)

        token, for_id = found.token, found.product_id
        if for_id is None and token is None:
            # By slug without a hint: the product's version before its rows.
            for_id = selectors.product_id_by_slug(slug=id_or_slug)
            if for_id is None:
                raise NotFound()
            token = product_cache.product_versions_read(product_ids=[for_id])[for_id]
        product = _get_product(id_or_slug)
        body = render_json(success_body(ProductOutputSerializer(product).data))
        entry = product_cache.CachedResponse.from_body(body, slug=product.slug)
        if product.pk == for_id:
            product_cache.product_cache_fill(
                product_id=product.pk, slug=product.slug, response=entry, token=token
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


def _read_counting(
    view: APIView, request: Request, read: Callable[[Any], product_cache.CacheRead]
) -> product_cache.CacheRead:
    """A cached read that also counts the request against the API rate limit, in
    its one Redis round trip; the throttle then takes that count
    (ecommerce.ratelimit.throttling.api_count_done) instead of counting again."""
    pending = None
    if any(isinstance(throttle, ApiRateThrottle) for throttle in view.get_throttles()):
        pending = throttling.api_count_pending(request)
    if pending is None:
        return read(None)
    found = read(product_cache.RateCount(key=pending.key, window=pending.rate.window))
    if found.counted is not None:
        throttling.api_count_done(request, pending, *found.counted)
    elif found.count_error is not None:
        throttling.api_count_failed(request, pending, found.count_error)
    return found


def _render_fragments(
    product_ids: Sequence[uuid.UUID], tokens: dict[uuid.UUID, Any]
) -> dict[str, bytes]:
    """These products' list fragments rendered from PostgreSQL, and stored as their
    product entries (each only if unchanged since its token). Products no longer
    in the catalog are left out."""
    if not product_ids:
        return {}
    products = selectors.products_by_ids(product_ids=product_ids)
    entries = {
        pid: product_cache.CachedResponse.from_body(
            render_json(success_body(ProductOutputSerializer(product).data)),
            slug=product.slug,
        )
        for pid, product in products.items()
    }
    product_cache.product_fragments_fill(entries=entries, tokens=tokens)
    return {str(pid): entry.product_data for pid, entry in entries.items()}


@dataclass(frozen=True)
class ListQuery:
    """A product list request, validated and normalised."""

    filters: dict[str, Any]  # catalog.selectors.product_list arguments; read only
    page: int
    limit: int
    cache_key: str

    @property
    def stock_filtered(self) -> bool:
        """Any stock change may change which products such a page shows."""
        return self.filters.get("in_stock") is not None


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
