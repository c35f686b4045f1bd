from rest_framework import serializers

from notifications.models import UserNotification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserNotification
        fields = [
            "id",
            "notification_type",
            "title",
            "message",
            "status",
            "subscription",
            "scheduled_for",
            "sent_at",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields
