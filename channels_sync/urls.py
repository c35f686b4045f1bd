from django.urls import path

from channels_sync import api

app_name = "channels_sync"

# Included under /api/ (the member endpoints sit beside the accounts app's, under /api/auth/).
urlpatterns = [
    path("auth/user/telegram/link/", api.TelegramLinkView.as_view(), name="telegram-link"),
    path("auth/user/discord/link/", api.DiscordLinkView.as_view(), name="discord-link"),
    path("auth/user/channels/", api.ChannelStatusView.as_view(), name="channel-status"),
    path("auth/discord/callback/", api.DiscordCallbackView.as_view(), name="discord-callback"),
    path("telegram/webhook/", api.TelegramWebhookView.as_view(), name="telegram-webhook"),
]
