"""The one pricing computation: a basket, an address, a method and a code → the breakdown.

``basket_price`` is what ``POST /v1/checkout/quote`` answers and what
``POST /v1/orders`` charges (``checkout.services``): the same input at the
same moment gives the same figures to the cent. It reads the pricing rules
and writes nothing; the order passes the variants it has locked and the code
it has locked, a quote the ones it has read.

The steps, each rounded half-up to the cent:

1. each line: ``unit price x quantity``; ``subtotal`` is their sum;
2. the code's discount, per line: a percentage of each eligible line, or a
   fixed amount spread over the eligible lines in proportion (never more than
   they cost, so no line goes below zero); ``discountTotal`` is the sum;
3. shipping: the chosen method, or the cheapest that serves the address:
   ``price + pricePerKg x kilograms``, nothing from ``freeFrom`` (compared with
   the subtotal after discount) up, nothing with a free-shipping code;
4. tax, per line on its amount after discount (and on shipping with
   ``TAX_SHIPPING``), from the ``TAX_CALCULATOR``;
5. ``total = subtotal - discountTotal + shippingTotal (+ taxTotal unless
   PRICES_INCLUDE_TAX)``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from catalog.models import ProductVariant
from checkout.errors import CheckoutInvalid
from checkout.models import DiscountCode, ShippingMethod
from checkout.tax import TaxLine, TaxRequest, get_tax_calculator
from ecommerce.api.ids import PREFIXES, public_id

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
GRAMS_PER_KG = Decimal("1000")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class BasketLine:
    """A line to price: its variant (``variant.product.category`` loaded) and quantity."""

    variant: ProductVariant
    quantity: int
    label: str = ""


@dataclass(frozen=True)
class PricedLine:
    variant: ProductVariant
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    discount: Decimal
    tax: Decimal


@dataclass(frozen=True)
class ShippingOption:
    method: ShippingMethod
    price: Decimal

    def as_dict(self) -> dict:
        """The order's snapshot and the quote's ``shippingMethod``: ``{id, name, price}``."""
        return {"id": self.method.public_id, "name": self.method.name, "price": str(self.price)}


@dataclass(frozen=True)
class Quote:
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    currency: str
    prices_include_tax: bool
    shipping: ShippingOption | None = None
    shipping_options: list[ShippingOption] = field(default_factory=list)
    code: DiscountCode | None = None

    @property
    def discount(self) -> dict | None:
        """``{code, kind, value}`` of the code applied, or None."""
        if self.code is None:
            return None
        return {"code": self.code.code, "kind": self.code.kind, "value": str(self.code.value)}


def basket_price(
    *,
    lines: Sequence[BasketLine],
    address: dict | None,
    shipping_method_id=None,
    code: DiscountCode | None = None,
) -> Quote:
    """Price a basket. ``code`` has been found and checked (``checkout.discounts``) except
    for what depends on the basket, checked here.

    Raises CheckoutInvalid (400) naming the field: ``items`` (mixed
    currencies), ``shippingMethod`` (unknown, inactive, or not serving the
    address), ``shippingAddress.country`` (no method serves it),
    ``shippingAddress`` (a method chosen without an address), ``discountCode``
    (below its minimum subtotal, nothing in the basket it applies to).
    """
    currencies = {line.variant.product.currency for line in lines}
    if len(currencies) > 1:
        raise CheckoutInvalid(
            "All items of an order must be priced in one currency.",
            details={"items": [f"Mixed currencies: {', '.join(sorted(currencies))}."]},
        )
    currency = currencies.pop() if currencies else "USD"
    totals = [cents(line.variant.price * line.quantity) for line in lines]
    subtotal = sum(totals, ZERO)

    discounts = [ZERO] * len(lines)
    if code is not None:
        discounts = _discounts(code, lines, totals, subtotal, currency)
    discount_total = sum(discounts, ZERO)

    methods = list(ShippingMethod.objects.filter(active=True)) if address is not None else []
    options = _shipping_options(methods, lines, address, currency, subtotal - discount_total)
    shipping = _shipping_choice(options, bool(methods), address, shipping_method_id, currency)
    shipping_total = shipping.price if shipping else ZERO
    if code is not None and code.kind == DiscountCode.Kind.FREE_SHIPPING:
        shipping_total = ZERO

    include = settings.PRICES_INCLUDE_TAX
    taxes, shipping_tax = [ZERO] * len(lines), ZERO
    if address is not None:
        result = get_tax_calculator().calculate(
            TaxRequest(
                lines=[
                    TaxLine(
                        amount=total - discount,
                        category_path=line.variant.product.category.path,
                        quantity=line.quantity,
                    )
                    for line, total, discount in zip(lines, totals, discounts, strict=True)
                ],
                shipping=shipping_total,
                country=address["country"],
                state=address.get("state", ""),
                currency=currency,
                prices_include_tax=include,
                tax_shipping=settings.TAX_SHIPPING,
            )
        )
        taxes, shipping_tax = [cents(tax) for tax in result.lines], cents(result.shipping)
    tax_total = sum(taxes, ZERO) + shipping_tax
    total = subtotal - discount_total + shipping_total + (ZERO if include else tax_total)
    return Quote(
        lines=[
            PricedLine(
                variant=line.variant,
                quantity=line.quantity,
                unit_price=line.variant.price,
                line_total=line_total,
                discount=discount,
                tax=tax,
            )
            for line, line_total, discount, tax in zip(lines, totals, discounts, taxes, strict=True)
        ],
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_total=shipping_total,
        tax_total=tax_total,
        total=total,
        currency=currency,
        prices_include_tax=include,
        shipping=shipping,
        shipping_options=options,
        code=code,
    )


def shipping_method_price(
    method: ShippingMethod, *, grams: int, subtotal: Decimal = ZERO
) -> Decimal:
    """A method's price for a basket of ``grams`` worth ``subtotal`` (after discount)."""
    if method.free_from is not None and subtotal >= method.free_from:
        return ZERO
    return cents(method.price + method.price_per_kg * Decimal(grams) / GRAMS_PER_KG)


def shipping_methods_serving(
    *, country: str, state: str = "", currency: str | None = None, include_inactive: bool = False
) -> list[ShippingMethod]:
    methods = (
        ShippingMethod.objects.all()
        if include_inactive
        else ShippingMethod.objects.filter(active=True)
    )
    return [
        method
        for method in methods
        if method.serves(country=country, state=state)
        and (currency is None or method.currency == currency)
    ]


def _shipping_options(
    methods: list[ShippingMethod],
    lines: Sequence[BasketLine],
    address: dict | None,
    currency: str,
    subtotal: Decimal,
) -> list[ShippingOption]:
    if address is None:
        return []
    grams = sum(line.variant.weight * line.quantity for line in lines)
    country, state = address["country"], address.get("state", "")
    options = [
        ShippingOption(method, shipping_method_price(method, grams=grams, subtotal=subtotal))
        for method in methods
        if method.serves(country=country, state=state) and method.currency == currency
    ]
    # Cheapest first: the default. Ties: the faster, then by name.
    return sorted(options, key=lambda o: (o.price, o.method.max_days, o.method.name, o.method.pk))


def _shipping_choice(
    options: list[ShippingOption], shop_ships: bool, address: dict | None, method_id, currency: str
) -> ShippingOption | None:
    if method_id is not None:
        if address is None:
            raise CheckoutInvalid(
                "A shipping method needs the address it ships to.",
                details={"shippingAddress": ["Required with shippingMethod."]},
            )
        for option in options:
            if option.method.pk == method_id:
                return option
        method = ShippingMethod.objects.filter(pk=method_id, active=True).first()
        name = public_id(PREFIXES["shipping_method"], method_id)
        if method is None:
            message = f"Unknown shipping method {name}."
        elif method.currency != currency:
            message = f"{method.name} charges in {method.currency}, the basket is in {currency}."
        else:
            where = "-".join(p for p in (address["country"], address.get("state", "")) if p)
            message = f"{method.name} does not ship to {where}."
        raise CheckoutInvalid(message, details={"shippingMethod": [message]})
    if options:
        return options[0]
    if address is not None and shop_ships:
        # A shop that ships somewhere, but not there. (One with no method at all
        # charges no shipping: the design's order body keeps working.)
        where = "-".join(p for p in (address["country"], address.get("state", "")) if p)
        message = f"No shipping method ships to {where} in {currency}."
        raise CheckoutInvalid(message, details={"shippingAddress": {"country": [message]}})
    return None


def _discounts(
    code: DiscountCode,
    lines: Sequence[BasketLine],
    totals: list[Decimal],
    subtotal: Decimal,
    currency: str,
) -> list[Decimal]:
    def refuse(message: str):
        return CheckoutInvalid(message, details={"discountCode": [message]})

    if code.min_subtotal is not None and subtotal < code.min_subtotal:
        raise refuse(
            f"Code {code.code} needs a subtotal of at least {code.min_subtotal} {code.currency}."
        )
    if code.kind != DiscountCode.Kind.PERCENTAGE and code.currency != currency:
        raise refuse(f"Code {code.code} is for baskets in {code.currency}.")
    paths = [category.path for category in code.categories.all()]
    eligible = [
        not paths or any(line.variant.product.category.path.startswith(p) for p in paths)
        for line in lines
    ]
    if not any(eligible):
        raise refuse(f"Code {code.code} does not apply to anything in this basket.")
    if code.kind == DiscountCode.Kind.FREE_SHIPPING:
        return [ZERO] * len(lines)
    if code.kind == DiscountCode.Kind.PERCENTAGE:
        return [
            cents(total * code.value / 100) if ok else ZERO
            for total, ok in zip(totals, eligible, strict=True)
        ]
    # Fixed: at most what the eligible lines cost, spread in proportion; the
    # cents rounding leaves go to the last eligible line, which can take them.
    base = sum((t for t, ok in zip(totals, eligible, strict=True) if ok), ZERO)
    off = min(code.value, base)
    shares = [
        cents(off * total / base) if ok and base else ZERO
        for total, ok in zip(totals, eligible, strict=True)
    ]
    last = max(i for i, ok in enumerate(eligible) if ok)
    shares[last] += off - sum(shares, ZERO)
    if shares[last] < 0 or shares[last] > totals[last]:
        # Rounding pushed the last line out of bounds: rebalance greedily.
        shares, left = [ZERO] * len(lines), off
        for i, (total, ok) in enumerate(zip(totals, eligible, strict=True)):
            if ok:
                shares[i] = min(total, left)
                left -= shares[i]
    return shares
