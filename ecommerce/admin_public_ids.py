"""The admin shows and finds rows by the public ids customers quote (``ord_…``).

Customers and the API speak in prefixed ids (``ecommerce.api.ids``); staff
paste them into the admin's search box. Django's search would look for the
text ``ord_…`` inside the columns and find nothing, and its pages showed
bare UUIDs. ``PublicIdAdminMixin`` adds both sides to a ModelAdmin:

    class OrderAdmin(PublicIdAdminMixin, admin.ModelAdmin):
        public_id_prefix = "ord"                  # the "public_id" column
        public_id_search = {"ord": "pk", "pay": "payment__pk", "usr": "user__pk"}
        list_display = ("public_id", ...)

A search term that is one of the mapped ids (``ord_<32 hex>``) narrows the
list to exactly that row by an indexed equality; any other term goes to
``search_fields`` as before.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from ecommerce.api.ids import parse_public_id, public_id


class PublicIdAdminMixin:
    public_id_prefix: str = ""
    # prefix -> the lookup of the UUID it names, from this admin's model
    public_id_search: dict[str, str] = {}

    @admin.display(description="ID", ordering="pk")
    def public_id(self, obj: Model) -> str:
        return public_id(self.public_id_prefix, obj.pk)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        for prefix, lookup in self.public_id_search.items():
            value = parse_public_id(prefix, term)
            if value is not None:
                return queryset.filter(**{lookup: value}), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]


def admin_link(obj: Model | None, text: Any) -> str:
    """A link to ``obj``'s change page in the admin, or ``-`` when there is none."""
    if obj is None:
        return "-"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text)
