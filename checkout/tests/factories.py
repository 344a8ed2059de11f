"""Test data for the checkout: pricing rules, made through the models like the admin does."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Category, Product, ProductVariant
from checkout.models import DiscountCode, ShippingMethod, TaxRate
from ecommerce.api.ids import PREFIXES, public_id


def shipping_method_make(
    *,
    name: str = "Standard",
    countries=("US",),
    states=(),
    price: str = "5.00",
    per_kg: str = "0.00",
    free_from: str | None = None,
    currency: str = "USD",
    min_days: int = 3,
    max_days: int = 5,
    active: bool = True,
) -> ShippingMethod:
    return ShippingMethod.objects.create(
        name=name,
        countries=list(countries),
        states=list(states),
        price=Decimal(price),
        price_per_kg=Decimal(per_kg),
        free_from=Decimal(free_from) if free_from is not None else None,
        currency=currency,
        min_days=min_days,
        max_days=max_days,
        active=active,
    )


def tax_rate_make(
    *, rate: str, country: str = "US", state: str = "", category: Category | None = None
) -> TaxRate:
    return TaxRate.objects.create(
        name=f"{country} {state} {category.slug if category else 'all'}",
        country=country,
        state=state,
        category=category,
        rate=Decimal(rate),
    )


def discount_code_make(
    *,
    code: str = "SAVE10",
    kind: str = DiscountCode.Kind.PERCENTAGE,
    value: str = "10",
    categories=(),
    starts_in: int | None = None,
    ends_in: int | None = None,
    **fields,
) -> DiscountCode:
    now = timezone.now()
    created = DiscountCode.objects.create(
        code=code,
        kind=kind,
        value=Decimal(value),
        starts_at=now + timedelta(seconds=starts_in) if starts_in is not None else None,
        ends_at=now + timedelta(seconds=ends_in) if ends_in is not None else None,
        **fields,
    )
    created.categories.set(list(categories))
    return created


def weigh(product: Product, grams: int) -> Product:
    ProductVariant.objects.filter(product=product).update(weight=grams)
    return product


def method_id(method: ShippingMethod) -> str:
    return public_id(PREFIXES["shipping_method"], method.pk)
