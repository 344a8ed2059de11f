"""Staff manage the catalog here; every save goes through ``catalog.services``.

Products are never deleted from the admin: "Remove from catalog" takes them out
of the shop (soft delete) and past orders keep their lines. A product's price
and stock are its variants': edited in the variants inline of its page, in the
product list for a simple product (one variant), or in the variants list.
Staff find products by name, slug, public id (``prod_…``) or a variant's SKU,
and variants by SKU or public id (``var_…``).
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog import services
from catalog.errors import SkuTaken, SlugTaken
from catalog.media.admin import ProductMediaInline, product_thumbnail_html
from catalog.media.selectors import media_prefetch
from catalog.models import Category, Product, ProductVariant
from catalog.selectors import category_subtree
from catalog.serializers import HTTP_URL_VALIDATOR, IMAGES_MAX, SKU_VALIDATOR, STOCK_MAX
from catalog.services.categories import UPDATABLE_FIELDS as CATEGORY_FIELDS
from ecommerce.api.ids import PREFIXES, parse_public_id, public_id

LOW_STOCK = 5


class ImageUrlsField(forms.CharField):
    """The ``images`` JSON list edited as one http(s) URL per line."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(url) for url in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        if len(value) > IMAGES_MAX:
            raise ValidationError(f"At most {IMAGES_MAX} images.")
        for url in value:
            HTTP_URL_VALIDATOR(url)


class CategoryChoiceField(forms.ModelChoiceField):
    """Categories in tree order, indented by depth; submitted by slug.

    A ModelForm's initial value of a foreign key is the primary key, which
    matches no choice keyed by slug: forms using this field show the slug
    (``_show_category_slugs``), or the page would render no choice selected and
    an untouched save would clear it.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Category.objects.order_by("path"))
        super().__init__(to_field_name="slug", **kwargs)

    def label_from_instance(self, obj: Category) -> str:
        return f"{'— ' * (obj.depth - 1)}{obj.name}"


def _show_category_slugs(form: forms.ModelForm, *names: str) -> None:
    for name in names:
        related = getattr(form.instance, name, None) if form.instance.pk else None
        if name in form.fields and related is not None:
            form.initial[name] = related.slug


def _track_stock_as_rendered(form: forms.BaseForm) -> None:
    """Judge a stock edit against the value the page showed, not the current row.

    Orders change stock between the moment staff open a form and the moment
    they save it. With the rendered value sent back in a hidden input, an
    untouched stock field is not in ``changed_data`` and the save leaves the
    orders' decrements alone (only the changed fields reach the services).
    """
    if "stock" in form.fields:
        form.fields["stock"].show_hidden_initial = True


def _clean_price(form: forms.BaseForm) -> Any:
    price = form.cleaned_data.get("price")
    if price is not None and price <= 0:
        raise ValidationError("Ensure this value is greater than 0.")
    return price


def _clean_stock(form: forms.BaseForm) -> Any:
    stock = form.cleaned_data.get("stock")
    if stock is not None and not 0 <= stock <= STOCK_MAX:
        raise ValidationError(f"Stock must be between 0 and {STOCK_MAX}.")
    return stock


def _narrow(field: forms.Field, width: str) -> None:
    field.widget.attrs["style"] = f"width: {width}"


# --- products ----------------------------------------------------------------------


class ProductAdminForm(forms.ModelForm):
    """A product's own fields; its price and stock are its variants' (the inline)."""

    category = CategoryChoiceField()
    images = ImageUrlsField(required=False, help_text="One http(s) image URL per line.")

    class Meta:
        model = Product
        fields = ("name", "slug", "category", "description", "currency", "images")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _show_category_slugs(self, "category")

    def clean_slug(self) -> str:
        # The API stores slugs lower-cased; the admin must not create a second
        # spelling of one (``Trail-Lamp`` next to ``trail-lamp``).
        return (self.cleaned_data.get("slug") or "").lower()

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise ValidationError("Enter a 3-letter ISO 4217 currency code, such as USD.")
        return currency


class ProductAddForm(ProductAdminForm):
    """A new product is a simple product: its one variant's price, stock, SKU, weight.

    More variants are added through the API or an import (their options decide them).
    """

    sku = forms.CharField(
        max_length=64,
        required=False,
        validators=[SKU_VALIDATOR],
        help_text="Generated from the slug when empty.",
    )
    weight = forms.IntegerField(
        min_value=0, max_value=STOCK_MAX, initial=0, required=False, help_text="Grams."
    )

    class Meta(ProductAdminForm.Meta):
        fields = (*ProductAdminForm.Meta.fields, "price", "stock")  # type: ignore[assignment]

    clean_price = _clean_price
    clean_stock = _clean_stock

    def clean_sku(self) -> str:
        sku = self.cleaned_data.get("sku") or ""
        if sku and ProductVariant.objects.filter(sku__iexact=sku).exists():
            raise ValidationError("Another variant already uses this SKU.")
        return sku


class ProductChangeListForm(forms.ModelForm):
    """The inline price and stock edits of the list page, for a simple product.

    A product with several variants shows its lowest price and total stock,
    not editable here: each variant's are, on its page or the variants list.
    """

    class Meta:
        model = Product
        fields = ("price", "stock")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _track_stock_as_rendered(self)
        _narrow(self.fields["price"], "6em")
        _narrow(self.fields["stock"], "4.5em")
        if getattr(self.instance, "variant_count", 1) != 1:
            for field in self.fields.values():
                field.disabled = True
                field.widget.attrs["title"] = "Several variants: edit each on the product's page."

    clean_price = _clean_price
    clean_stock = _clean_stock


class VariantInlineForm(forms.ModelForm):
    class Meta:
        model = ProductVariant
        fields = ("sku", "price", "stock", "weight")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _track_stock_as_rendered(self)
        for name, width in (("sku", "16em"), ("price", "6em"), ("stock", "5em"), ("weight", "5em")):
            if name in self.fields:
                _narrow(self.fields[name], width)

    clean_price = _clean_price
    clean_stock = _clean_stock


class VariantInline(admin.TabularInline):
    """A product's variants in the catalog: SKU, price, stock and weight editable.

    Which variants exist follows from the product's options: they are added
    and removed through the API or an import, not here.
    """

    model = ProductVariant
    form = VariantInlineForm
    fields = ("variant_id", "options_label", "sku", "price", "stock", "weight")
    readonly_fields = ("variant_id", "options_label")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "variants (price and stock per variant)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).in_catalog().order_by("position", "pk")  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # A product's variants are part of the product: whoever may change the
    # product may change their price and stock here.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalog.change_product")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalog.view_product") or self.has_change_permission(
            request, obj
        )

    @admin.display(description="Id")
    def variant_id(self, obj: ProductVariant) -> str:
        return public_id(PREFIXES["variant"], obj.pk)

    @admin.display(description="Options")
    def options_label(self, obj: ProductVariant) -> str:
        return obj.options_label or "—"


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
    field = "deleted_at"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In catalog"), ("no", "Removed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        match self.value():
            case "yes":
                return queryset.filter(**{f"{self.field}__isnull": True})
            case "no":
                return queryset.filter(**{f"{self.field}__isnull": False})
        return queryset


class CategoryTreeFilter(admin.SimpleListFilter):
    """By category, its descendants included (the API's ``category`` filter)."""

    title = "category"
    parameter_name = "category"
    field = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (category.slug, f"{'— ' * (category.depth - 1)}{category.name}")
            for category in Category.objects.order_by("path")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        return queryset.filter(**{f"{self.field}__in": category_subtree(cast(str, self.value()))})


class SetStockForm(forms.Form):
    stock = forms.IntegerField(min_value=0, max_value=STOCK_MAX, label="New stock")


def _search_by_public_id(queryset: QuerySet, term: str, lookups: dict[str, str]) -> QuerySet:
    """Rows whose public id (``prod_…``, ``var_…``) is the search term, or none."""
    for kind, lookup in lookups.items():
        value = parse_public_id(PREFIXES[kind], term.strip())
        if value is not None:
            return queryset.filter(**{lookup: value})
    return queryset.none()


def _set_stock_page(
    admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, form: SetStockForm
) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/catalog/set_stock.html",
        {
            **admin_.admin_site.each_context(request),
            "title": "Set stock",
            "opts": admin_.model._meta,
            "form": form,
            "objects": queryset,
            "action": "set_stock",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,  # type: ignore[attr-defined]
        },
    )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    add_form = ProductAddForm
    # Variants, and the product media (catalog.media) upload inline.
    inlines = [VariantInline, ProductMediaInline]
    list_display = (
        "thumbnail",
        "name_and_id",
        "category_slug",
        "price",
        "stock",
        "variant_count",
        "is_in_catalog",
    )
    list_display_links = ("name_and_id",)
    list_editable = ("price", "stock")
    list_filter = (CategoryTreeFilter, StockStateFilter, CatalogStateFilter)
    list_select_related = ("category",)
    search_fields = ("name", "slug", "variants__sku")
    search_help_text = "Name, slug, SKU, or a public id (prod_…, var_…)."
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = (
        "public_id",
        "price_range",
        "total_stock",
        "options_summary",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    ordering = ("-created_at", "-id")
    list_per_page = 50
    actions = ("set_stock", "remove_from_catalog", "restore_to_catalog")

    def get_form(self, request: HttpRequest, obj: Product | None = None, **kwargs: Any):  # type: ignore[override]
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None):
        if obj is None:
            return (
                (None, {"fields": ("name", "slug", "category", "description")}),
                ("Price and stock", {"fields": ("price", "currency", "stock", "sku", "weight")}),
                ("Images", {"fields": ("images",)}),
            )
        return (
            (None, {"fields": ("public_id", "name", "slug", "category", "description")}),
            (
                "Price and stock (its variants', below)",
                {"fields": ("currency", "price_range", "total_stock", "options_summary")},
            ),
            ("Images", {"fields": ("images",)}),
            ("Dates", {"fields": ("created_at", "updated_at", "deleted_at")}),
        )

    def get_inlines(self, request: HttpRequest, obj: Product | None):
        return self.inlines if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        live = ProductVariant.objects.in_catalog().filter(product=OuterRef("pk")).order_by()
        return (
            super()
            .get_queryset(request)
            .prefetch_related(media_prefetch())
            .annotate(
                variant_count=Coalesce(
                    Subquery(
                        live.values("product").annotate(n=Count("pk")).values("n")[:1],
                        output_field=IntegerField(),
                    ),
                    0,
                )
            )
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if search_term.strip().startswith(("prod_", "var_")):
            found = _search_by_public_id(
                queryset, search_term, {"product": "pk", "variant": "variants__pk"}
            )
            return found, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Product", ordering="name")
    def name_and_id(self, obj: Product) -> str:
        return format_html(
            '{}<br><span style="color: var(--body-quiet-color); font-size: 0.78em; '
            'font-family: monospace">{}</span>',
            obj.name,
            public_id(PREFIXES["product"], obj.pk),
        )

    @admin.display(description="Category", ordering="category__path")
    def category_slug(self, obj: Product) -> str:
        return obj.category.slug

    @admin.display(description="Variants", ordering="variant_count")
    def variant_count(self, obj: Product) -> int:
        return obj.variant_count  # type: ignore[attr-defined]

    # Product media (catalog.media): the list's thumbnail.
    @admin.display(description="Image")
    def thumbnail(self, obj: Product) -> str:
        return product_thumbnail_html(obj)

    @admin.display(boolean=True, description="In catalog", ordering="deleted_at")
    def is_in_catalog(self, obj: Product) -> bool:
        return obj.in_catalog

    @admin.display(description="Id")
    def public_id(self, obj: Product) -> str:
        return public_id(PREFIXES["product"], obj.pk) if obj.pk else "—"

    @admin.display(description="Price")
    def price_range(self, obj: Product) -> str:
        if obj.price == obj.price_max:
            return f"{obj.price} {obj.currency}"
        return f"{obj.price} to {obj.price_max} {obj.currency}"

    @admin.display(description="Stock (all variants)")
    def total_stock(self, obj: Product) -> int:
        return obj.stock

    @admin.display(description="Options")
    def options_summary(self, obj: Product) -> str:
        options = obj.ordered_options
        if not options:
            return "None (a simple product)"
        return "; ".join(f"{option.name}: {', '.join(option.values)}" for option in options)

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
                data = {
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in services.UPDATABLE_FIELDS
                }
                if isinstance(data.get("category"), Category):
                    data["category"] = data["category"].slug
                services.product_update(product=obj, data=data)
            else:
                services.product_add(
                    product=obj,
                    stock=form.cleaned_data.get("stock") or 0,
                    sku=form.cleaned_data.get("sku") or None,
                    weight=form.cleaned_data.get("weight") or 0,
                )
        except (SlugTaken, SkuTaken):
            # The form checked uniqueness; only a concurrent insert gets here.
            self.message_user(
                request, "That slug or SKU was just taken: saved nothing.", messages.ERROR
            )
            raise

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ProductVariant:
            super().save_formset(request, form, formset, change)
            return
        # Only the changed fields, through the service (the same reason as save_model).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for variant_form in formset.forms:
            changed = [
                name
                for name in variant_form.changed_data
                if name in services.VARIANT_UPDATABLE_FIELDS
            ]
            if variant_form.instance.pk and changed:
                variant = services.variant_update(
                    variant=variant_form.instance,
                    data={name: variant_form.cleaned_data[name] for name in changed},
                )
                formset.changed_objects.append((variant, changed))

    @admin.action(description="Set stock of selected products", permissions=("change",))
    def set_stock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Every variant in the catalog of each selected product gets the new stock."""
        form = SetStockForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _set_stock_page(self, request, queryset, form)
        stock = form.cleaned_data["stock"]
        done = services.products_stock_set(
            product_ids=list(queryset.values_list("pk", flat=True)), stock=stock
        )
        self.message_user(request, _stock_set_message(stock, done))
        return None

    @admin.action(description="Remove selected products from the catalog", permissions=("remove",))
    def remove_from_catalog(self, request: HttpRequest, queryset: QuerySet) -> None:
        removed = services.products_remove(product_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "Removed %(count)d product from the catalog.",
                "Removed %(count)d products from the catalog.",
                removed,
            )
            % {"count": removed},
        )

    @admin.action(description="Put selected products back in the catalog", permissions=("change",))
    def restore_to_catalog(self, request: HttpRequest, queryset: QuerySet) -> None:
        restored = services.products_restore(
            product_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext(
                "Restored %(count)d product to the catalog.",
                "Restored %(count)d products to the catalog.",
                restored,
            )
            % {"count": restored},
        )


def _stock_set_message(stock: int, done: services.StockSet) -> str:
    """ "Stock set to 40 on 1 product." or "... on 5 variants of 2 products."."""
    products = ngettext("%(count)d product", "%(count)d products", done.products) % {
        "count": done.products
    }
    if done.variants == done.products:
        return _("Stock set to %(stock)d on %(products)s.") % {"stock": stock, "products": products}
    variants = ngettext("%(count)d variant", "%(count)d variants", done.variants) % {
        "count": done.variants
    }
    return _("Stock set to %(stock)d on %(variants)s of %(products)s.") % {
        "stock": stock,
        "variants": variants,
        "products": products,
    }


# --- variants ----------------------------------------------------------------------


class VariantChangeListForm(VariantInlineForm):
    class Meta(VariantInlineForm.Meta):
        fields = ("price", "stock")  # type: ignore[assignment]


class VariantCategoryFilter(CategoryTreeFilter):
    field = "product__category"


class VariantCatalogStateFilter(CatalogStateFilter):
    field = "deleted_at"


@admin.register(ProductVariant)
class ProductVariantAdmin(admin.ModelAdmin):
    """Every variant, for stock counts: search by SKU, set stock in bulk or row by row."""

    form = VariantInlineForm
    list_display = ("sku", "product_link", "options_label", "price", "stock", "weight", "is_live")
    list_display_links = ("sku",)
    list_editable = ("price", "stock")
    list_filter = (VariantCategoryFilter, StockStateFilter, VariantCatalogStateFilter)
    list_select_related = ("product",)
    search_fields = ("sku", "product__name")
    search_help_text = "SKU, product name, or a public id (var_…, prod_…)."
    readonly_fields = ("variant_id", "product_link", "options_label", "created_at", "updated_at")
    fields = (
        "variant_id",
        "product_link",
        "options_label",
        "sku",
        "price",
        "stock",
        "weight",
        "created_at",
        "updated_at",
    )
    ordering = ("product__name", "position", "pk")
    list_per_page = 100
    actions = ("set_stock",)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if search_term.strip().startswith(("prod_", "var_")):
            found = _search_by_public_id(
                queryset, search_term, {"variant": "pk", "product": "product_id"}
            )
            return found, False
        exact = queryset.filter(sku__iexact=search_term.strip())
        if exact.exists():
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        kwargs.setdefault("form", VariantChangeListForm)
        return super().get_changelist_form(request, **kwargs)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A variant is a combination of its product's options: added through the
        # API or an import, where the options are checked.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Id")
    def variant_id(self, obj: ProductVariant) -> str:
        return public_id(PREFIXES["variant"], obj.pk)

    @admin.display(description="Product", ordering="product__name")
    def product_link(self, obj: ProductVariant) -> str:
        return format_html(
            '<a href="../../product/{}/change/">{}</a>', obj.product_id, obj.product.name
        )

    @admin.display(description="Options")
    def options_label(self, obj: ProductVariant) -> str:
        return obj.options_label or "—"

    @admin.display(boolean=True, description="In catalog", ordering="deleted_at")
    def is_live(self, obj: ProductVariant) -> bool:
        return obj.in_catalog and obj.product.in_catalog

    def save_model(
        self, request: HttpRequest, obj: ProductVariant, form: Any, change: bool
    ) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.VARIANT_UPDATABLE_FIELDS
        }
        if data:
            services.variant_update(variant=obj, data=data)

    @admin.action(description="Set stock of selected variants", permissions=("change",))
    def set_stock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = SetStockForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _set_stock_page(self, request, queryset.select_related("product"), form)
        stock = form.cleaned_data["stock"]
        done = services.variants_stock_set(
            variant_ids=list(queryset.values_list("pk", flat=True)), stock=stock
        )
        self.message_user(
            request,
            ngettext(
                "Stock set to %(stock)d on %(count)d variant.",
                "Stock set to %(stock)d on %(count)d variants.",
                done.variants,
            )
            % {"stock": stock, "count": done.variants},
        )
        return None


# --- categories --------------------------------------------------------------------


class CategoryAdminForm(forms.ModelForm):
    parent = CategoryChoiceField(required=False, help_text="Empty: a root category.")

    class Meta:
        model = Category
        fields = ("name", "slug", "parent", "position")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _show_category_slugs(self, "parent")

    def clean_slug(self) -> str:
        return (self.cleaned_data.get("slug") or "").lower()

    def clean_parent(self) -> Category | None:
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and parent.path.startswith(self.instance.path):
            raise ValidationError("A category cannot move under itself or its descendants.")
        return parent


class CategoryChangeListForm(CategoryAdminForm):
    class Meta(CategoryAdminForm.Meta):
        fields = ("parent", "position")  # type: ignore[assignment]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The tree, in path order: parent and position editable in the list."""

    form = CategoryAdminForm
    list_display = ("indented_name", "slug", "parent", "position", "product_count")
    list_display_links = ("indented_name",)
    list_editable = ("parent", "position")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("path",)
    list_per_page = 200

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # One COUNT per row, no GROUP BY: the products in its subtree.
        in_subtree = (
            Product.objects.in_catalog()
            .filter(category__path__startswith=OuterRef("path"))
            .order_by()
            .annotate(n=Func(F("pk"), function="COUNT"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(product_count=Coalesce(Subquery(in_subtree, output_field=IntegerField()), 0))
        )

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        kwargs.setdefault("form", CategoryChangeListForm)
        return super().get_changelist_form(request, **kwargs)

    @admin.display(description="Category", ordering="path")
    def indented_name(self, obj: Category) -> str:
        return f"{'— ' * (obj.depth - 1)}{obj.name}"

    @admin.display(description="Products (with subcategories)", ordering="product_count")
    def product_count(self, obj: Category) -> int:
        return obj.product_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        parent = form.cleaned_data.get("parent")
        if not change:
            created = services.category_create(
                name=obj.name,
                slug=obj.slug or None,
                parent=parent.slug if parent else None,
                position=form.cleaned_data.get("position"),
            )
            obj.pk, obj.path = created.pk, created.path
            obj._state.adding = False
            return
        data = {}
        for name in form.changed_data:
            if name == "parent":
                data["parent"] = parent.slug if parent else None
            elif name in CATEGORY_FIELDS:
                data[name] = form.cleaned_data[name]
        if data:
            services.category_update(category=obj, data=data)

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        services.category_delete(category=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Leaves first: a parent can only go once its children have.
        for category in sorted(queryset, key=lambda c: -c.depth):
            services.category_delete(category=category)
