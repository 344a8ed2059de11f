"""manage.py seed_demo and import_products."""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Role, User
from catalog.models import Category, Product, ProductVariant
from catalog.tests.factories import ProductFactory
from orders.audit import stock_audit

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- seed_demo --------------------------------------------------------------------


def test_seed_demo_loads_a_realistic_catalog(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "admin-pass-123")
    monkeypatch.delenv("DEMO_CUSTOMER_PASSWORD", raising=False)
    out, _ = _run("seed_demo")
    products = Product.objects.in_catalog()
    assert 200 <= products.count() <= 500
    assert products.values("category").distinct().count() >= 5
    assert all(product.price > 0 for product in products)
    admin = User.objects.get(email="admin@example.com")
    assert admin.role == Role.ADMIN
    assert admin.check_password("admin-pass-123")
    assert "admin-pass-123" not in out
    customer = User.objects.get(email="customer@example.com")
    assert customer.role == Role.CUSTOMER
    printed = next(line for line in out.splitlines() if "customer@example.com" in line)
    assert customer.check_password(printed.split("password ")[1].split()[0])


def test_seed_demo_is_idempotent_and_keeps_passwords(monkeypatch):
    _run("seed_demo")
    count = Product.objects.count()
    admin_hash = User.objects.get(email="admin@example.com").password
    Product.objects.filter(slug=Product.objects.first().slug).update(stock=999)

    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "changed-later-1")
    out, _ = _run("seed_demo")
    assert Product.objects.count() == count
    assert Product.objects.filter(stock=999).count() == 1  # staff edits survive
    assert User.objects.filter(email="admin@example.com").get().password == admin_hash
    assert "password" not in out.replace("password is unchanged", "")


def test_seed_demo_invalidates_cached_lists(api_client):
    assert api_client.get("/v1/products").json()["data"] == []
    _run("seed_demo")
    assert api_client.get("/v1/products").json()["pagination"]["total"] > 0


# --- import_products --------------------------------------------------------------

CSV_OK = (
    "name,slug,description,price,currency,category,stock,images\n"
    "Blue Kettle,blue-kettle,Boils fast.,39.90,USD,kitchen,12,"
    "https://cdn.example.com/k1.jpg|https://cdn.example.com/k2.jpg\n"
    'Tea Towel,,"Cotton, striped",7.5,,kitchen,,\n'
)


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_import_csv_creates_products(tmp_path, api_client):
    api_client.get("/v1/products")
    out, _ = _run("import_products", str(_write(tmp_path, "p.csv", CSV_OK)))
    assert "2 created, 0 updated" in out
    kettle = Product.objects.get(slug="blue-kettle")
    assert kettle.images == ["https://cdn.example.com/k1.jpg", "https://cdn.example.com/k2.jpg"]
    towel = Product.objects.get(name="Tea Towel")
    assert (towel.slug, towel.stock, towel.currency) == ("tea-towel", 0, "USD")
    assert towel.description == "Cotton, striped"
    listing = api_client.get("/v1/products")
    assert listing["X-Cache"] == "MISS"
    assert listing.json()["pagination"]["total"] == 2


def test_import_json_updates_by_slug(tmp_path):
    ProductFactory(slug="blue-kettle", name="Old kettle", stock=1)
    rows = [{"name": "Blue Kettle", "slug": "blue-kettle", "price": 41, "category": "kitchen"}]
    out, _ = _run("import_products", str(_write(tmp_path, "p.json", json.dumps(rows))))
    assert "0 created, 1 updated" in out
    kettle = Product.objects.get(slug="blue-kettle")
    assert kettle.name == "Blue Kettle"
    assert kettle.stock == 1


def test_import_reports_every_row_error_and_imports_nothing(tmp_path):
    ProductFactory(slug="gone", deleted_at=timezone.now())
    csv = (
        "name,slug,price,category,stock,images\n"
        "Good,good,5,misc,1,\n"
        ",bad-name,5,misc,1,\n"
        "Free,free,0,misc,1,\n"
        "Negative,negative,5,misc,-2,ftp://example.com/x.jpg\n"
        "Twice,good,5,misc,1,\n"
        "Removed,gone,5,misc,1,\n"
    )
    err = StringIO()
    with pytest.raises(CommandError, match="6 error"):
        call_command("import_products", str(_write(tmp_path, "p.csv", csv)), stderr=err)
    assert Product.objects.count() == 1
    assert err.getvalue().splitlines() == [
        "row 3: name: This field is required.",
        "row 4: price: Ensure this value is greater than 0.",
        "row 5: stock: Ensure this value is greater than or equal to 0.",
        "row 5: images[0]: Enter an http or https URL.",
        "row 6: slug: also used on row 2 (the rows of one product are its variants: "
        "give each its options)",
        "row 7: slug: belongs to a product removed from the catalog",
    ]


def test_import_error_report_names_rows_and_fields(tmp_path):
    csv = "name,price,category\nGood,5,misc\n,5,misc\nFree,0,misc\nOk,abc,\n"
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_products", str(_write(tmp_path, "p.csv", csv)), stderr=err)
    lines = err.getvalue().splitlines()
    assert "row 3: name: This field is required." in lines
    assert "row 4: price: Ensure this value is greater than 0." in lines
    assert "row 5: price: A valid number is required." in lines
    assert "row 5: category: This field is required." in lines
    assert not any(line.startswith("row 2") for line in lines)


def test_import_reports_bad_image_by_index(tmp_path):
    rows = [{"name": "A", "price": 1, "category": "c", "images": ["https://x.io/a", "ftp://b"]}]
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_products", str(_write(tmp_path, "p.json", json.dumps(rows))), stderr=err
        )
    assert "row 1: images[1]: Enter an http or https URL." in err.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.csv", "name,price,colour\nA,1,red\n", "unknown column"),
        ("p.json", "{not json", "invalid JSON"),
        ("p.json", '{"name": "A"}', "expected a JSON list"),
        ("p.txt", "name\n", "expected a .csv or .json"),
        ("p.csv", "name,price,category\n", "no products"),
    ],
)
def test_import_refuses_unreadable_files(tmp_path, name, content, message):
    with pytest.raises(CommandError, match=message):
        _run("import_products", str(_write(tmp_path, name, content)))


def test_import_dry_run_writes_nothing(tmp_path):
    out, _ = _run("import_products", str(_write(tmp_path, "p.csv", CSV_OK)), "--dry-run")
    assert "2 row(s) are valid" in out
    assert not Product.objects.exists()


def test_import_failing_midway_rolls_back_every_row(tmp_path, monkeypatch):
    from catalog import services
    from catalog.errors import SlugTaken

    real_create = services.product_create

    def create_then_fail(**fields):
        if fields["name"] == "Tea Towel":
            raise SlugTaken()
        return real_create(**fields)

    monkeypatch.setattr(services, "product_create", create_then_fail)
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_products", str(_write(tmp_path, "p.csv", CSV_OK)), stderr=err)
    assert "row 3: slug: Another product already uses this slug." in err.getvalue()
    assert not Product.objects.exists()


# --- variants in imports ---------------------------------------------------------------

CSV_VARIANTS = (
    "handle,name,category,price,stock,sku,weight,option1_name,option1_value,"
    "option2_name,option2_value\n"
    "linen-shirt,Linen Shirt,clothing,30,5,LS-S-W,200,Size,S,Colour,White\n"
    "linen-shirt,,,30,2,LS-M-W,210,,M,,White\n"
    "linen-shirt,,,32.5,4,LS-M-B,210,Size,M,Colour,Blue\n"
    "tea-towel,Tea Towel,kitchen,7.5,9,,,,,,\n"
)


def _variants_of(slug: str) -> list[tuple]:
    product = Product.objects.get(slug=slug)
    return [(v.sku, v.options, str(v.price), v.stock, v.weight) for v in product.live_variants]


def test_import_csv_groups_rows_into_products_with_variants(tmp_path):
    out, _ = _run("import_products", str(_write(tmp_path, "p.csv", CSV_VARIANTS)))

    assert "2 created, 0 updated" in out
    shirt = Product.objects.get(slug="linen-shirt")
    assert [(o.name, o.values) for o in shirt.ordered_options] == [
        ("Size", ["S", "M"]),
        ("Colour", ["White", "Blue"]),
    ]
    assert _variants_of("linen-shirt") == [
        ("LS-S-W", {"Size": "S", "Colour": "White"}, "30.00", 5, 200),
        ("LS-M-W", {"Size": "M", "Colour": "White"}, "30.00", 2, 210),
        ("LS-M-B", {"Size": "M", "Colour": "Blue"}, "32.50", 4, 210),
    ]
    assert (shirt.price, shirt.price_max, shirt.stock) == (Decimal("30"), Decimal("32.5"), 11)
    assert _variants_of("tea-towel") == [("tea-towel", {}, "7.50", 9, 0)]


def test_import_json_takes_options_as_an_object(tmp_path):
    rows = [
        {
            "slug": "mug",
            "name": "Mug",
            "category": "kitchen",
            "price": 8,
            "options": {"Colour": "White"},
        },
        {"slug": "mug", "price": 9, "stock": 3, "options": {"Colour": "Black"}},
    ]

    _run("import_products", str(_write(tmp_path, "p.json", json.dumps(rows))))

    assert [(sku, options, stock) for sku, options, _, stock, _ in _variants_of("mug")] == [
        ("mug-white", {"Colour": "White"}, 0),
        ("mug-black", {"Colour": "Black"}, 3),
    ]


def test_a_rerun_updates_variants_by_sku_instead_of_duplicating(tmp_path):
    path = _write(tmp_path, "p.csv", CSV_VARIANTS)
    _run("import_products", str(path))
    ids = {v.sku: v.pk for v in Product.objects.get(slug="linen-shirt").live_variants}
    changed = CSV_VARIANTS.replace("LS-M-W,210", "LS-M-W,999").replace(",30,2,", ",31,20,")

    out, _ = _run("import_products", str(_write(tmp_path, "p2.csv", changed)))

    assert "0 created, 2 updated" in out
    shirt = Product.objects.get(slug="linen-shirt")
    assert {v.sku: v.pk for v in shirt.live_variants} == ids
    assert _variants_of("linen-shirt")[1] == (
        "LS-M-W",
        {"Size": "M", "Colour": "White"},
        "31.00",
        20,
        999,
    )
    assert ProductVariant.objects.count() == 4
    audit = stock_audit()
    assert audit.drifts == []


def test_a_rerun_without_skus_matches_variants_by_options(tmp_path):
    rows = [
        {"slug": "cap", "name": "Cap", "category": "c", "price": 5, "options": {"Size": "S"}},
        {"slug": "cap", "price": 5, "options": {"Size": "M"}},
    ]
    path = _write(tmp_path, "p.json", json.dumps(rows))
    _run("import_products", str(path))
    _run("import_products", str(path))

    assert [options for _, options, _, _, _ in _variants_of("cap")] == [
        {"Size": "S"},
        {"Size": "M"},
    ]
    assert ProductVariant.objects.count() == 2


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        (
            CSV_VARIANTS.replace("LS-M-B,210,Size,M,Colour,Blue", "LS-M-B,210,Size,M,Colour,White"),
            "row 4: options: Same options as row 3.",
        ),
        (CSV_VARIANTS.replace("LS-M-W", "LS-S-W"), "row 3: sku: Also the SKU of row 2."),
        (
            CSV_VARIANTS.replace(
                "linen-shirt,,,32.5,4,LS-M-B,210,Size", "linen-shirt,,,32.5,4,LS-M-B,210,Fit"
            ),
            "row 4: options: name the options of row 2 (Size, Colour)",
        ),
        (
            CSV_VARIANTS.replace("linen-shirt,,,30,2", "linen-shirt,Other Name,,30,2"),
            "row 3: name: differs from row 2 of this product",
        ),
        (
            CSV_VARIANTS.replace("LS-M-W,210,,M,,White", "LS-M-W,210,,M,,"),
            "row 3: options: name the options of row 2 (Size, Colour)",
        ),
        (
            CSV_VARIANTS.replace(",30,2,", ",0,2,"),
            "row 3: price: Ensure this value is greater than 0.",
        ),
    ],
)
def test_variant_errors_name_the_row_and_nothing_is_imported(tmp_path, csv, expected):
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_products", str(_write(tmp_path, "p.csv", csv)), stderr=err)

    assert expected in err.getvalue().splitlines(), err.getvalue()
    assert not Product.objects.exists()
    assert not ProductVariant.objects.exists()


def test_a_sku_taken_in_the_catalog_is_reported_with_its_row_and_rolls_back_all(tmp_path):
    ProductFactory(slug="elsewhere", sku="LS-M-B")
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_products", str(_write(tmp_path, "p.csv", CSV_VARIANTS)), stderr=err)

    assert err.getvalue().splitlines() == ["row 4: sku: Another variant already uses this SKU."]
    assert list(Product.objects.values_list("slug", flat=True)) == ["elsewhere"]


def test_every_product_refused_by_the_catalog_is_reported(tmp_path):
    ProductFactory(slug="a", sku="TAKEN-1")
    ProductFactory(slug="b", sku="TAKEN-2")
    rows = [
        {"slug": "x", "name": "X", "category": "c", "price": 1, "sku": "taken-1"},
        {"slug": "y", "name": "Y", "category": "c", "price": 1},
        {"slug": "z", "name": "Z", "category": "c", "price": 1, "sku": "taken-2"},
    ]
    err = StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_products", str(_write(tmp_path, "p.json", json.dumps(rows))), stderr=err
        )

    assert err.getvalue().splitlines() == [
        "row 1: sku: Another variant already uses this SKU.",
        "row 3: sku: Another variant already uses this SKU.",
    ]
    assert Product.objects.count() == 2  # y was rolled back with the rest


def test_seed_demo_sells_clothes_in_sizes_and_colours_in_a_two_level_tree():
    _run("seed_demo")

    roots = Category.objects.filter(parent=None)
    assert roots.count() == 4
    assert all(child.parent_id for child in Category.objects.exclude(parent=None))
    assert Product.objects.filter(category__parent=None).count() == 0
    shirts = Product.objects.filter(name__endswith="T-Shirt")
    assert shirts.exists()
    for shirt in shirts:
        assert [option.name for option in shirt.ordered_options] == ["Size", "Colour"]
        assert len(shirt.live_variants) > 1
        assert shirt.stock == sum(variant.stock for variant in shirt.live_variants)
    assert stock_audit().drifts == []
