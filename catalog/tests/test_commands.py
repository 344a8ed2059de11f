"""manage.py seed_demo and import_products."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Role, User
from catalog.models import Product
from catalog.tests.factories import ProductFactory

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
