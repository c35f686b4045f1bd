"""The renewals no longer read the subscriptions by end first (analytics/selectors.py, members_per_month: one pass in
(member, end) order over analytics_covering_idx): the index on (ends_at, user_id, id) has no reader left. IF EXISTS:
on SQLite, a migration that rebuilt the table may already have dropped it (docs/architecture/analytics.md)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_analytics_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql="DROP INDEX IF EXISTS analytics_ends_idx",
            reverse_sql="CREATE INDEX analytics_ends_idx ON subscriptions_subscription (ends_at, user_id, id) "
            "WHERE status <> 'cancelled'",
        )
    ]
