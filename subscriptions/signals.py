"""Dashboard cache invalidation on every save/delete of a model the dashboard shows.

Not business logic: a safety net so that admin and shell edits (and any `save()` a service does) never leave a
member's cached dashboard behind. Bulk writes (`update()`, raw inserts) send no signal: the services doing them
call `dashboard_cache_forget` themselves.
"""

from django.db.models.signals import post_delete, post_save

from subscriptions.dashboard_cache import dashboard_cache_forget, dashboard_cache_forget_all


def _forget_member(sender, instance, **kwargs):
    dashboard_cache_forget(user_ids=[instance.user_id])


def _forget_everyone(sender, instance, **kwargs):
    dashboard_cache_forget_all()


def connect() -> None:
    from channels_sync.models import ChannelMembership
    from notifications.models import UserNotification
    from payments.models import Payment
    from subscriptions.models import Plan, Subscription

    for model in (Subscription, Payment, UserNotification, ChannelMembership):
        post_save.connect(_forget_member, sender=model, dispatch_uid=f"dashboard_cache_{model.__name__}_save")
        post_delete.connect(_forget_member, sender=model, dispatch_uid=f"dashboard_cache_{model.__name__}_delete")
    post_save.connect(_forget_everyone, sender=Plan, dispatch_uid="dashboard_cache_plan_save")
    post_delete.connect(_forget_everyone, sender=Plan, dispatch_uid="dashboard_cache_plan_delete")
