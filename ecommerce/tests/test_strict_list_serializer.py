"""``many=True`` inputs keep the documented error shape: one entry per item, in order.

DRF 3.18 reports a nested list's errors as an object keyed by index; the API
says ``items: [{}, {"quantity": [...]}]`` (README "Errors"), so every strict
input serializer lists them through StrictListSerializer.
"""

import pytest
from rest_framework import serializers

import accounts.serializers
import catalog.media.serializers
import catalog.serializers
import checkout.serializers
import orders.serializers
import payments.serializers
from checkout.serializers import OrderCreateInputSerializer
from ecommerce.api.serializers import StrictInputSerializer, StrictListSerializer

APP_SERIALIZERS = (
    accounts.serializers,
    catalog.serializers,
    catalog.media.serializers,
    checkout.serializers,
    orders.serializers,
    payments.serializers,
)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_the_apps_have_strict_input_serializers():
    assert len(APP_SERIALIZERS) == 6
    assert len(_subclasses(StrictInputSerializer)) > 10


@pytest.mark.parametrize(
    "serializer",
    sorted(_subclasses(StrictInputSerializer), key=lambda c: c.__qualname__),  # type: ignore[attr-defined]
)
def test_every_strict_serializer_lists_its_errors_per_item(serializer):
    """A subclass with a Meta of its own must inherit StrictInputSerializer.Meta."""
    assert isinstance(serializer(many=True), StrictListSerializer), serializer


def test_a_list_of_items_reports_each_item_at_its_index():
    body = {
        "items": [
            {"productId": "prod_00000000000000000000000000000001", "quantity": 1},
            {"productId": "prod_00000000000000000000000000000002", "quantity": 0},
            {"productId": "prod_00000000000000000000000000000003", "quantity": 1, "price": 1},
        ],
        "shippingAddress": {
            "street": "1 Main St",
            "city": "Springfield",
            "zip": "12345",
            "country": "US",
        },
        "paymentMethod": "card",
    }
    serializer = OrderCreateInputSerializer(data=body)

    assert not serializer.is_valid()
    items = serializer.errors["items"]
    assert isinstance(items, list) and len(items) == 3
    assert items[0] == {}
    assert set(items[1]) == {"quantity"}
    assert items[2] == {"price": ["Unknown field."]}


def test_a_list_level_error_is_left_as_drf_gives_it():
    class Line(StrictInputSerializer):
        n = serializers.IntegerField()

    class Body(StrictInputSerializer):
        lines = Line(many=True, max_length=1)

    serializer = Body(data={"lines": [{"n": 1}, {"n": 2}]})

    assert not serializer.is_valid()
    assert serializer.errors["lines"] == {
        "nonFieldErrors": ["Ensure this field has no more than 1 elements."]
    }
