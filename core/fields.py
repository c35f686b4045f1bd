"""Serializer fields that refuse a wrong JSON type instead of coercing it (a wrong type is a 400)."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers instead of turning them into strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id must be a JSON integer: 1.5, "1" or true are refused rather than read as 1."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
