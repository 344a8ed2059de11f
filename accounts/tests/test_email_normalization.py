"""The normaliser itself, and the pass that rewrites stored addresses (migration 0002,
``manage.py normalize_emails``): collisions reported and left alone, never merged."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.email_address import email_normalize
from accounts.models import User
from accounts.services import user_emails_normalize
from accounts.tests.factories import UserFactory
from ecommerce.api.ids import PREFIXES, public_id

FULLWIDTH_S = "\uff53"
LONG_S = "\u017f"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Bob@Shop.Test", "bob@shop.test"),
        (f"bob@{FULLWIDTH_S}hop.test", "bob@shop.test"),
        (f"{LONG_S}teve@shop.test", "steve@shop.test"),
        ("  ada@example.com ", "ada@example.com"),
        ("stra\u00dfe@example.de", "strasse@example.de"),
        ("ana@B\u00fccher.Example", "ana@xn--bcher-kva.example"),
        ("ana@xn--bcher-kva.example", "ana@xn--bcher-kva.example"),
        ("ivan@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("ken@\u4f8b\u3048.\u30c6\u30b9\u30c8", "ken@xn--r8jz45g.xn--zckzah"),
    ],
)
def test_addresses_normalise_to_one_stored_form(given, stored):
    assert email_normalize(given) == stored
    assert email_normalize(stored) == stored  # a fixed point: normalising again changes nothing


@pytest.mark.parametrize(
    "given",
    [
        "\u0130nes@shop.test",  # folds to i + combining dot: not plain ASCII
        "bob@sh\u200bop.test",
        "bob@sh\u00adop.test",
        "bob@shop.test\u200d",
        "b\u2060ob@shop.test",
        "bob@\u0455hop.test",  # Cyrillic dze in a Latin label
        "bob@shop.test.",
        "bo b@shop.test",
        "bob",
        "@shop.test",
        "bob@",
        "a" * 250 + "@shop.test",
    ],
)
def test_addresses_without_a_normal_form_are_refused(given):
    with pytest.raises(ValidationError) as caught:
        email_normalize(given)
    assert caught.value.code == "invalid"


@pytest.fixture
def odd_rows(db) -> dict[str, User]:
    """Rows as earlier releases could store them (the factory saves without cleaning)."""
    return {
        "normal": UserFactory(email="bob@shop.test"),
        "collides": UserFactory(email=f"bob@{FULLWIDTH_S}hop.test"),
        "changes": UserFactory(email=f"sara@{FULLWIDTH_S}hop.test"),
        "idn": UserFactory(email="ana@b\u00fccher.example"),
        "invalid": UserFactory(email="eve@sh\u200bop.test"),
        "pair_a": UserFactory(email=f"tom@{FULLWIDTH_S}hop.test"),
        "pair_b": UserFactory(email=f"tom@{LONG_S}hop.test"),
    }


def _emails() -> dict:
    return dict(User.objects.values_list("pk", "email"))


def test_the_pass_rewrites_what_it_can_and_leaves_collisions_alone(odd_rows):
    report = user_emails_normalize()

    rows = {name: User.objects.get(pk=user.pk).email for name, user in odd_rows.items()}
    assert rows == {
        "normal": "bob@shop.test",
        "collides": f"bob@{FULLWIDTH_S}hop.test",  # untouched: bob@shop.test is taken
        "changes": "sara@shop.test",
        "idn": "ana@xn--bcher-kva.example",
        "invalid": "eve@sh\u200bop.test",  # untouched: no normal form
        "pair_a": f"tom@{FULLWIDTH_S}hop.test",  # untouched: both want tom@shop.test
        "pair_b": f"tom@{LONG_S}hop.test",
    }
    assert {new for _, _, new in report.changed} == {"sara@shop.test", "ana@xn--bcher-kva.example"}
    collisions = dict(report.collisions)
    assert {user_id for user_id, _ in collisions["bob@shop.test"]} == {
        public_id(PREFIXES["user"], odd_rows["normal"].pk),
        public_id(PREFIXES["user"], odd_rows["collides"].pk),
    }
    assert len(collisions["tom@shop.test"]) == 2
    assert [user_id for user_id, _, _ in report.invalid] == [
        public_id(PREFIXES["user"], odd_rows["invalid"].pk)
    ]


def test_the_report_names_every_account_left_alone_legibly(odd_rows):
    text = "\n".join(user_emails_normalize().lines())

    assert "2 normalised" in text
    assert "4 in 2 collision(s)" in text
    assert "1 not normalisable" in text
    assert "\\u200b" in text  # the invisible character shown, not printed invisibly
    assert public_id(PREFIXES["user"], odd_rows["collides"].pk) in text
    assert "normalize_emails" in text


def test_a_dry_run_writes_nothing(odd_rows):
    before = _emails()

    report = user_emails_normalize(apply=False)

    assert _emails() == before
    assert len(report.changed) == 2


def test_a_second_pass_after_the_operator_resolved_a_collision_finishes(odd_rows):
    user_emails_normalize()
    odd_rows["normal"].email = "bob.old@shop.test"
    odd_rows["normal"].save(update_fields=["email"])

    report = user_emails_normalize()

    assert User.objects.get(pk=odd_rows["collides"].pk).email == "bob@shop.test"
    assert "bob@shop.test" not in dict(report.collisions)


def test_the_migration_runs_the_pass_and_prints_its_report(odd_rows, capsys):
    migration = importlib.import_module("accounts.migrations.0002_normalize_emails")

    migration.normalize(apps, None)

    out = capsys.readouterr().out
    assert "2 normalised" in out
    assert "collision on bob@shop.test" in out
    assert User.objects.get(pk=odd_rows["changes"].pk).email == "sara@shop.test"


def test_the_command_reports_and_can_dry_run(odd_rows):
    out = StringIO()
    call_command("normalize_emails", "--dry-run", stdout=out)

    assert "Dry run" in out.getvalue()
    assert "collision on tom@shop.test" in out.getvalue()
    assert User.objects.get(pk=odd_rows["changes"].pk).email == f"sara@{FULLWIDTH_S}hop.test"

    call_command("normalize_emails", stdout=StringIO())
    assert User.objects.get(pk=odd_rows["changes"].pk).email == "sara@shop.test"
