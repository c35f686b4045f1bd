"""The member's admin page with what the apps below hold about them. It lives in the top app because it reads
them all: accounts defines the page (accounts.admin.UserAdmin) without importing any higher app."""

from django.contrib import admin

from accounts.admin import UserAdmin
from accounts.models import User
from channels_sync.admin_inlines import ChannelActionInline, ChannelMembershipInline
from payments.admin_inlines import PaymentInline
from subscriptions.admin_inlines import SubscriptionInline


@admin.register(User)
class MemberAdmin(UserAdmin):
    inlines = [PaymentInline, SubscriptionInline, ChannelMembershipInline, ChannelActionInline]
