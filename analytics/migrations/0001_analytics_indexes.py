"""Indexes for the admins' figures (analytics/selectors.py), on the tables they read: measured with
bench/analytics.py (docs/benchmarks.md, "Analytics"). Partial indexes, written in SQL both SQLite and PostgreSQL
accept; analytics owns them because it is their only reader."""

from django.db import migrations

INDEXES = (
    # Each member's first paid payment: one index probe (cohorts, new members).
    (
        "analytics_paid_user_idx",
        "payments_payment (user_id, confirmed_at) WHERE status IN ('confirmed', 'refunded')",
    ),
    # Paid payments per month, plan, method and currency read from the index alone (revenue).
    (
        "analytics_paid_month_idx",
        "payments_payment (confirmed_at, plan_id, method, currency, amount) WHERE status IN ('confirmed', 'refunded')",
    ),
    # Subscriptions ending in a month, read from the index alone (renewals and churn).
    (
        "analytics_ends_idx",
        "subscriptions_subscription (ends_at, user_id, id) WHERE status <> 'cancelled'",
    ),
    # Does a subscription of the member cover a given instant (renewals, cohort retention): index only.
    (
        "analytics_covering_idx",
        "subscriptions_subscription (user_id, ends_at, starts_at) WHERE status <> 'cancelled'",
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0008_coupons"),
        ("subscriptions", "0007_trials"),
    ]

    operations = [
        migrations.RunSQL(sql=f"CREATE INDEX {name} ON {target}", reverse_sql=f"DROP INDEX {name}")
        for name, target in INDEXES
    ]
