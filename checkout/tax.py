"""Tax: a small interface (``TAX_CALCULATOR``), like the payment gateway; the table default.

The pricing (``checkout.pricing``) asks the calculator once per basket, with
each line's amount after its discount, the shipping amount and the address;
it gets back one tax amount per line and one for the shipping. Rounding is
per line, half-up to the cent. With ``PRICES_INCLUDE_TAX`` the amounts
already contain the tax, and the answer is the part of them that is tax.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from checkout.models import TaxRate

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class TaxLine:
    """One basket line: what is taxed (its total after discount) and its category's path."""

    amount: Decimal
    category_path: str  # catalog.Category.path: "/clothing/shoes/"
    quantity: int = 1


@dataclass(frozen=True)
class TaxRequest:
    lines: Sequence[TaxLine]
    shipping: Decimal
    country: str
    state: str
    currency: str
    prices_include_tax: bool
    tax_shipping: bool


@dataclass(frozen=True)
class TaxResult:
    lines: Sequence[Decimal]  # in the request's order
    shipping: Decimal = ZERO


def tax_of(amount: Decimal, rate: Decimal, *, included: bool) -> Decimal:
    """The tax on ``amount`` at ``rate`` percent, half-up to the cent.

    Excluded: ``amount * rate / 100``. Included: the part of ``amount`` that is
    tax, ``amount * rate / (100 + rate)``.
    """
    if rate <= 0 or amount <= 0:
        return ZERO
    share = amount * rate / ((HUNDRED + rate) if included else HUNDRED)
    return share.quantize(CENT, ROUND_HALF_UP)


class TaxCalculator:
    """The interface. Subclass it, set ``TAX_CALCULATOR`` to its dotted path.

    ``calculate`` must return one non-negative amount per request line, in
    order, plus the shipping's; it must not write to the database (a quote
    calls it too) and should answer fast, as it runs inside the order's
    transaction while the basket's rows are locked.
    """

    name = "base"

    def calculate(self, request: TaxRequest) -> TaxResult:
        raise NotImplementedError


class TableTaxCalculator(TaxCalculator):
    """The rates staff keep in the ``TaxRate`` table (admin, ``/v1/tax-rates``).

    A rate applies to an address in its country and, if it names one, its
    state; and to a product in its category or below, or, without one, to any.
    The most specific applicable rate wins: a category rate over one for any
    product (a deeper category over its parent's), then a state's over its
    country's. No rate: no tax. Shipping, with ``TAX_SHIPPING`` on, is taxed at
    the address's rate for any product.

    An external service (Avalara, TaxJar, Stripe Tax) plugs in the same way:
    a ``TaxCalculator`` subclass whose ``calculate`` sends the lines (amount,
    category, quantity), the shipping and the address to the service and maps
    its answer back to one amount per line; set
    ``TAX_CALCULATOR=yourshop.tax.AvalaraCalculator``. Keep its timeout short,
    and, as it runs under the order's locks, prefer a quote it has cached for
    the same basket.
    """

    name = "table"

    def calculate(self, request: TaxRequest) -> TaxResult:
        rates = list(
            TaxRate.objects.filter(country=request.country.upper())
            .select_related("category")
            .only("rate", "state", "category__path")
        )
        state = request.state.strip().upper()
        applicable = [rate for rate in rates if not rate.state or rate.state.upper() == state]
        included = request.prices_include_tax
        lines = [
            tax_of(line.amount, self._rate(applicable, line.category_path), included=included)
            for line in request.lines
        ]
        shipping = ZERO
        if request.tax_shipping:
            shipping = tax_of(request.shipping, self._rate(applicable, None), included=included)
        return TaxResult(lines=lines, shipping=shipping)

    @staticmethod
    def _rate(rates: Sequence[TaxRate], category_path: str | None) -> Decimal:
        best, best_rank = ZERO, None
        for rate in rates:
            if rate.category_id is None:
                depth = 0
            elif category_path and category_path.startswith(rate.category.path):  # type: ignore[union-attr]
                depth = rate.category.path.count("/")  # type: ignore[union-attr]
            else:
                continue
            rank = (depth, bool(rate.state))
            if best_rank is None or rank > best_rank:
                best, best_rank = rate.rate, rank
        return best


@cache
def _calculator(path: str) -> TaxCalculator:
    return import_string(path)()


def get_tax_calculator() -> TaxCalculator:
    """The configured calculator (``TAX_CALCULATOR``), one instance per process."""
    return _calculator(settings.TAX_CALCULATOR)
