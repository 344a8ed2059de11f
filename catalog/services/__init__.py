"""Every write to the catalog (API, admin, import, demo data) goes through here.

Products, their options and variants: ``catalog.services.products``. The
category tree: ``catalog.services.categories``. Stock taken and given back by
orders: ``catalog.stock``.
"""

from catalog.services.categories import (
    CATEGORY_MAX_DEPTH,
    category_create,
    category_delete,
    category_ensure,
    category_name_from_slug,
    category_update,
)
from catalog.services.products import (
    UPDATABLE_FIELDS,
    VARIANT_FIELDS,
    VARIANT_UPDATABLE_FIELDS,
    OptionInput,
    StockSet,
    VariantInput,
    product_add,
    product_create,
    product_remove,
    product_slug_base,
    product_slug_next_free,
    product_update,
    products_remove,
    products_restore,
    products_stock_set,
    variant_add,
    variant_remove,
    variant_sku_base,
    variant_update,
    variants_stock_set,
)

__all__ = [
    "CATEGORY_MAX_DEPTH",
    "UPDATABLE_FIELDS",
    "VARIANT_FIELDS",
    "VARIANT_UPDATABLE_FIELDS",
    "OptionInput",
    "StockSet",
    "VariantInput",
    "category_create",
    "category_delete",
    "category_ensure",
    "category_name_from_slug",
    "category_update",
    "product_add",
    "product_create",
    "product_remove",
    "product_slug_base",
    "product_slug_next_free",
    "product_update",
    "products_remove",
    "products_restore",
    "products_stock_set",
    "variant_add",
    "variant_remove",
    "variant_sku_base",
    "variant_update",
    "variants_stock_set",
]
