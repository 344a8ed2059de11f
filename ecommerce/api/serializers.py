"""Serializer building blocks shared by the apps."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

# An answer names at most this many unknown fields, then counts the rest: a
# client that misspelt one learns which, one that sends sixty gets no sixty
# lines back (the parser already caps keys per object).
UNKNOWN_FIELDS_REPORTED = 5


class JSONIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else: ``"2"``, ``2.0`` and ``true`` are refused.

    DRF's IntegerField takes ``"2"`` and ``2.0`` as 2; the schema says integer,
    and so does the server.
    """

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONStringField(serializers.CharField):
    """A JSON string and nothing else, where StrictInputSerializer's own check
    does not reach (a list's items): DRF's CharField turns ``5`` into ``"5"``."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` and nothing else: ``0``, ``"yes"`` and ``"true"`` are refused.

    DRF's BooleanField takes a dozen spellings; the schema says boolean.
    """

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictListSerializer(serializers.ListSerializer):
    """``many=True`` inputs: one error entry per item, ``{}`` for the valid ones.

    DRF 3.18 reports a list's errors as an object keyed by index
    (``LIST_SERIALIZER_ERRORS_AS_DICT``, whose old value is deprecated). The
    API's errors keep the documented shape, ``items: [{}, {"quantity": [...]}]``,
    so a client finds item *n*'s errors at index *n*.
    """

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and detail and all(isinstance(k, int) for k in detail):
                per_item = [detail.get(index, {}) for index in range(len(data))]  # type: ignore[call-overload]  # the keys are the item indexes
                raise serializers.ValidationError(per_item) from None
            raise


# Comments, not a docstring: drf-spectacular publishes a serializer's docstring,
# inherited ones included, as the description of its schema component.
class StrictInputSerializer(serializers.Serializer):
    # Refuses fields it does not know instead of silently ignoring them: a client
    # that sends ``role`` without the right to change it, or misspells a field,
    # learns about it with a 400 naming the field. A subclass with a Meta of its
    # own inherits this one (``class Meta(StrictInputSerializer.Meta)``).

    class Meta:
        list_serializer_class = StrictListSerializer

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            read_only = {name for name, field in self.fields.items() if field.read_only}
            errors = {}
            unknown = 0
            for name, value in data.items():
                if name in read_only:
                    errors[name] = ["This field cannot be changed."]
                elif name not in writable:
                    unknown += 1
                    if unknown <= UNKNOWN_FIELDS_REPORTED:
                        errors[name] = ["Unknown field."]
                elif isinstance(self.fields[name], serializers.CharField) and not isinstance(
                    value, str | None
                ):
                    # DRF would turn 5 into "5": the schema says string, so does the server.
                    errors[name] = [self.fields[name].error_messages["invalid"]]  # type: ignore[list-item]
            if unknown > UNKNOWN_FIELDS_REPORTED:
                more = unknown - UNKNOWN_FIELDS_REPORTED
                errors[settings.REST_FRAMEWORK["NON_FIELD_ERRORS_KEY"]] = [
                    f"And {more} more unknown field{'s' if more > 1 else ''}."
                ]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
