"""Output shapes of a member's channel access, reused by the subscriptions and dashboard endpoints."""

from rest_framework import serializers

from channels_sync.selectors import channel_statuses_for


class ChannelStatusSerializer(serializers.Serializer):
    state = serializers.CharField()
    state_label = serializers.CharField()
    invite_link = serializers.CharField(allow_null=True)
    next_step = serializers.CharField()


class MemberChannelsSerializer(serializers.Serializer):
    """Per platform, what the member sees. Takes a user (or a user id) as its value: declare it with
    `source="user"` or `source="user_id"`. Computed once per member and response (cached in the context),
    so a list of subscriptions costs the same few queries as one."""

    telegram = ChannelStatusSerializer()
    discord = ChannelStatusSerializer()

    def to_representation(self, instance):
        user_id = instance if isinstance(instance, int) else instance.pk
        cache = self.context.setdefault("_channel_statuses", {}) if isinstance(self.context, dict) else {}
        if user_id not in cache:
            cache[user_id] = channel_statuses_for([user_id])[user_id]
        return cache[user_id]
