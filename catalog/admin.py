"""Staff manage the catalog here; every save goes through ``catalog.services``.

Products are never deleted from the admin: "Remove from catalog" takes them out
of the shop (soft delete) and past orders keep their lines.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from catalog import services
from catalog.errors import SlugTaken
from catalog.media.admin import ProductMediaInline, product_thumbnail_html
from catalog.media.selectors import media_prefetch
from catalog.models import Product
from catalog.serializers import HTTP_URL_VALIDATOR, IMAGES_MAX, STOCK_MAX

LOW_STOCK = 5


class ImageUrlsField(forms.CharField):
    """The ``images`` JSON list edited as one http(s) URL per line."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(url) for url in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        if len(value) > IMAGES_MAX:
            raise ValidationError(f"At most {IMAGES_MAX} images.")
        for url in value:
            HTTP_URL_VALIDATOR(url)


def _track_stock_as_rendered(form: forms.ModelForm) -> None:
    """Judge a stock edit against the value the page showed, not the current row.

    Orders change stock between the moment staff open a form and the moment
    they save it. With the rendered value sent back in a hidden input, an
    untouched stock field is not in ``changed_data`` and the save leaves the
    orders' decrements alone (see ``ProductAdmin.save_model``).
    """
    if "stock" in form.fields:
        form.fields["stock"].show_hidden_initial = True


class ProductAdminForm(forms.ModelForm):
    images = ImageUrlsField(required=False, help_text="One http(s) image URL per line.")

    class Meta:
        model = Product
        fields = ("name", "slug", "description", "price", "currency", "category", "stock", "images")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _track_stock_as_rendered(self)

    def clean_slug(self) -> str:
        # The API stores slugs lower-cased; the admin must not create a second
        # spelling of one (``Trail-Lamp`` next to ``trail-lamp``).
        return (self.cleaned_data.get("slug") or "").lower()

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise ValidationError("Enter a 3-letter ISO 4217 currency code, such as USD.")
        return currency

    def clean_price(self) -> Any:
        price = self.cleaned_data.get("price")
        if price is not None and price <= 0:
            raise ValidationError("Ensure this value is greater than 0.")
        return price

    def clean_stock(self) -> Any:
        stock = self.cleaned_data.get("stock")
        if stock is not None and not 0 <= stock <= STOCK_MAX:
            raise ValidationError(f"Stock must be between 0 and {STOCK_MAX}.")
        return stock


class ProductChangeListForm(forms.ModelForm):
    """The inline price and stock edits of the list page, with the same checks."""

    class Meta:
        model = Product
        fields = ("price", "stock")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _track_stock_as_rendered(self)

    clean_price = ProductAdminForm.clean_price
    clean_stock = ProductAdminForm.clean_stock


class StockStateFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock_state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("in", "In stock"),
            ("low", f"Low (1-{LOW_STOCK})"),
            ("out", "Out of stock"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        match self.value():
            case "in":
                return queryset.filter(stock__gt=0)
            case "low":
                return queryset.filter(stock__gt=0, stock__lte=LOW_STOCK)
            case "out":
                return queryset.filter(stock=0)
        return queryset


class CatalogStateFilter(admin.SimpleListFilter):
    title = "in catalog"
    parameter_name = "in_catalog"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In catalog"), ("no", "Removed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        match self.value():
            case "yes":
                return queryset.filter(deleted_at__isnull=True)
            case "no":
                return queryset.filter(deleted_at__isnull=False)
        return queryset


class SetStockForm(forms.Form):
    stock = forms.IntegerField(min_value=0, max_value=STOCK_MAX, label="New stock")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = (
        "thumbnail",
        "name",
        "slug",
        "category",
        "price",
        "stock",
        "updated_at",
        "is_in_catalog",
    )
    list_display_links = ("name",)
    list_editable = ("price", "stock")
    list_filter = ("category", StockStateFilter, CatalogStateFilter)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("id", "created_at", "updated_at", "deleted_at")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    actions = ("set_stock", "remove_from_catalog", "restore_to_catalog")
    fieldsets = (
        (None, {"fields": ("id", "name", "slug", "category", "description")}),
        ("Price and stock", {"fields": ("price", "currency", "stock")}),
        ("Images", {"fields": ("images",)}),
        ("Dates", {"fields": ("created_at", "updated_at", "deleted_at")}),
    )

    # Product media (catalog.media): the upload inline and the list's thumbnail.
    inlines = (ProductMediaInline,)

    @admin.display(description="Image")
    def thumbnail(self, obj: Product) -> str:
        return product_thumbnail_html(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related(media_prefetch())

    @admin.display(boolean=True, description="In catalog", ordering="deleted_at")
    def is_in_catalog(self, obj: Product) -> bool:
        return obj.in_catalog

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        kwargs.setdefault("form", ProductChangeListForm)
        return super().get_changelist_form(request, **kwargs)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # A hard delete would orphan order history: removal is the action above.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalog.delete_product")

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        try:
            if change:
                # Only what staff changed: saving every field would write back
                # the stock shown when the page was opened, undoing the orders
                # placed since (overselling).
                services.product_update(
                    product=obj,
                    data={
                        name: form.cleaned_data[name]
                        for name in form.changed_data
                        if name in services.UPDATABLE_FIELDS
                    },
                )
            else:
                services.product_add(product=obj)
        except SlugTaken:
            # The form checked uniqueness; only a concurrent insert gets here.
            self.message_user(request, "That slug was just taken: saved nothing.", messages.ERROR)
            raise

    @admin.action(description="Set stock of selected products", permissions=("change",))
    def set_stock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = SetStockForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            updated = services.products_stock_set(
                product_ids=list(queryset.values_list("pk", flat=True)),
                stock=form.cleaned_data["stock"],
            )
            self.message_user(request, f"Stock set to {form.cleaned_data['stock']} on {updated}.")
            return None
        return TemplateResponse(
            request,
            "admin/catalog/product/set_stock.html",
            {
                **self.admin_site.each_context(request),
                "title": "Set stock",
                "opts": self.model._meta,
                "form": form,
                "products": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Remove selected products from the catalog", permissions=("remove",))
    def remove_from_catalog(self, request: HttpRequest, queryset: QuerySet) -> None:
        removed = services.products_remove(product_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Removed {removed} product(s) from the catalog.")

    @admin.action(description="Put selected products back in the catalog", permissions=("change",))
    def restore_to_catalog(self, request: HttpRequest, queryset: QuerySet) -> None:
        restored = services.products_restore(
            product_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, f"Restored {restored} product(s) to the catalog.")
