"""One factory per catalog model. A product is made as the services make one: a
simple product has its one variant (same price and stock), and every variant's
stock ledger is open, so the stock audit balances in any test that uses them."""

import itertools
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from catalog.models import Category, Product, ProductOption, ProductVariant
from catalog.services import category_name_from_slug
from catalog.stock import stock_initial_record


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda category: category_name_from_slug(category.slug))
    parent = None
    position = 0
    path = factory.LazyAttribute(
        lambda category: f"{category.parent.path if category.parent else '/'}{category.slug}/"
    )


def category_of(value: Any) -> Category:
    """A Category from a Category or a slug (made at the root when new)."""
    if isinstance(value, Category):
        return value
    return CategoryFactory(slug=str(value).lower())


class ProductFactory(factory.django.DjangoModelFactory):
    """``ProductFactory(price=..., stock=..., category="slug")``: a simple product.

    ``sku`` and ``weight`` go to its variant; ``variants=False`` makes none (a
    product with options then gets its variants from ``ProductVariantFactory``).
    """

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine product."
    price = Decimal("10.00")
    currency = "USD"
    category = "misc"
    stock = 10
    images = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class: type[Product], *args: Any, **kwargs: Any) -> Product:
        sku = kwargs.pop("sku", None)
        weight = kwargs.pop("weight", 0)
        with_variant = kwargs.pop("variants", True)
        kwargs["category"] = category_of(kwargs["category"])
        kwargs.setdefault("price_max", kwargs["price"])
        product = super()._create(model_class, *args, **kwargs)
        if with_variant:
            variant = ProductVariant.objects.create(
                product=product,
                sku=sku or product.slug[:64],
                price=product.price,
                stock=product.stock,
                weight=weight,
            )
            stock_initial_record(variant_ids=[variant.pk])
        return product


_product_numbers = itertools.count(1)


def product_make(
    *, price: str | Decimal = "10.00", stock: int = 10, deleted: bool = False, **fields: Any
) -> Product:
    """The tests' one way to make a simple product: ``product_make(stock=5, price="12.50")``.

    A unique name and slug, the price from a string, ``deleted=True`` for one
    taken out of the catalog; other ``fields`` (``name``, ``category``,
    ``currency``, ``sku``...) go to ``ProductFactory``, so its one variant is
    made and its stock ledger opened as ``catalog.stock`` does, and the stock
    audit balances in any test that uses it. Usable in transactional tests
    (the drills') as well: nothing here needs the test's transaction.
    """
    number = next(_product_numbers)
    defaults: dict[str, Any] = {
        "name": f"Test product {number}",
        "slug": f"test-product-{number}",
        "category": "misc",
    }
    product = ProductFactory(**{**defaults, **fields, "price": Decimal(price), "stock": stock})
    if deleted:
        Product.objects.filter(pk=product.pk).update(deleted_at=timezone.now())
        product.refresh_from_db()
    return product


class ProductOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductOption

    product = factory.SubFactory(ProductFactory, variants=False)
    name = "Size"
    position = factory.Sequence(lambda n: n)
    values = factory.LazyFunction(lambda: ["S", "M", "L"])


class ProductVariantFactory(factory.django.DjangoModelFactory):
    """A variant with its ledger open. It does not recompute its product's totals:
    make products with several variants through ``catalog.services`` when those matter."""

    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory, variants=False)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    options = factory.LazyFunction(dict)
    price = Decimal("10.00")
    stock = 10
    weight = 0

    @classmethod
    def _create(cls, model_class: type[ProductVariant], *args: Any, **kwargs: Any):
        variant = super()._create(model_class, *args, **kwargs)
        stock_initial_record(variant_ids=[variant.pk])
        return variant


def product_with_variants(
    *,
    name: str = "T-Shirt",
    category: str = "clothing",
    options: dict[str, list[str]] | None = None,
    variants: list[tuple[dict[str, str], str, int]] | None = None,
    **fields: Any,
) -> Product:
    """A product with options and variants, made by ``catalog.services`` (totals,
    SKUs and ledger as in production). ``variants``: ``(options, price, stock)``."""
    from catalog import services

    options = options if options is not None else {"Size": ["S", "M", "L"]}
    variants = (
        variants
        if variants is not None
        else [
            ({"Size": "S"}, "10.00", 5),
            ({"Size": "M"}, "12.00", 7),
        ]
    )
    return services.product_create(
        name=name,
        category=category,
        options=[
            services.OptionInput(name=key, values=tuple(vals)) for key, vals in options.items()
        ],
        variants=[
            services.VariantInput(options=combination, price=Decimal(price), stock=stock)
            for combination, price, stock in variants
        ],
        **fields,
    )
