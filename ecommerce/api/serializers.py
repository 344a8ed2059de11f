"""Serializer building blocks shared by the apps."""

from typing import Any

from rest_framework import serializers


# Comments, not a docstring: drf-spectacular publishes a serializer's docstring,
# inherited ones included, as the description of its schema component.
class StrictInputSerializer(serializers.Serializer):
    # Refuses fields it does not know instead of silently ignoring them: a client
    # that sends ``role`` without the right to change it, or misspells a field,
    # learns about it with a 400 naming the field.

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            read_only = {name for name, field in self.fields.items() if field.read_only}
            errors = {}
            for name, value in data.items():
                if name in read_only:
                    errors[name] = ["This field cannot be changed."]
                elif name not in writable:
                    errors[name] = ["Unknown field."]
                elif isinstance(self.fields[name], serializers.CharField) and not isinstance(
                    value, str | None
                ):
                    # DRF would turn 5 into "5": the schema says string, so does the server.
                    errors[name] = [self.fields[name].error_messages["invalid"]]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
