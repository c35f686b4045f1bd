# ruff: noqa: E501 (frozen SQL, written out once)
"""The dashboard's version triggers on the channel tables (channel memberships, account links).

A write to either changes what the member's dashboard shows (the channel block) but none of their figures: the
figures' triggers of `subscriptions/figures.py`, with no contribution, raise the member's `MemberFigures.version`
only. Installed from this app, the one at the top, so channels_sync knows nothing of the dashboard. The SQL is
frozen here as `subscriptions.figures.install_statements(vendor, VERSIONED_TABLES)` generated it when this
migration was written (member_space/tests/test_dashboard_cache.py checks it still does).
"""

from django.db import migrations

POSTGRESQL_INSTALL = [
    "CREATE FUNCTION channels_sync_channelmembership_figures_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) SELECT d.user_id, d.subscriptions_total, d.payments_total, d.payments_confirmed, d.payments_pending, d.paid_cents, d.notifications_unread, 1 FROM (SELECT x.user_id, SUM(x.subscriptions_total) AS subscriptions_total, SUM(x.payments_total) AS payments_total, SUM(x.payments_confirmed) AS payments_confirmed, SUM(x.payments_pending) AS payments_pending, SUM(x.paid_cents) AS paid_cents, SUM(x.notifications_unread) AS notifications_unread FROM (SELECT r.user_id, +(0) AS subscriptions_total, +(0) AS payments_total, +(0) AS payments_confirmed, +(0) AS payments_pending, +(0) AS paid_cents, +(0) AS notifications_unread FROM new_rows r) x GROUP BY x.user_id) d ORDER BY d.user_id ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; RETURN NULL; END $$",
    "CREATE TRIGGER channels_sync_channelmembership_figures_insert AFTER INSERT ON channels_sync_channelmembership REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION channels_sync_channelmembership_figures_insert()",
    "CREATE FUNCTION channels_sync_channelmembership_figures_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) SELECT d.user_id, d.subscriptions_total, d.payments_total, d.payments_confirmed, d.payments_pending, d.paid_cents, d.notifications_unread, 1 FROM (SELECT x.user_id, SUM(x.subscriptions_total) AS subscriptions_total, SUM(x.payments_total) AS payments_total, SUM(x.payments_confirmed) AS payments_confirmed, SUM(x.payments_pending) AS payments_pending, SUM(x.paid_cents) AS paid_cents, SUM(x.notifications_unread) AS notifications_unread FROM (SELECT r.user_id, -(0) AS subscriptions_total, -(0) AS payments_total, -(0) AS payments_confirmed, -(0) AS payments_pending, -(0) AS paid_cents, -(0) AS notifications_unread FROM old_rows r) x GROUP BY x.user_id) d ORDER BY d.user_id ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; RETURN NULL; END $$",
    "CREATE TRIGGER channels_sync_channelmembership_figures_delete AFTER DELETE ON channels_sync_channelmembership REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION channels_sync_channelmembership_figures_delete()",
    "CREATE FUNCTION channels_sync_channelmembership_figures_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) SELECT d.user_id, d.subscriptions_total, d.payments_total, d.payments_confirmed, d.payments_pending, d.paid_cents, d.notifications_unread, 1 FROM (SELECT x.user_id, SUM(x.subscriptions_total) AS subscriptions_total, SUM(x.payments_total) AS payments_total, SUM(x.payments_confirmed) AS payments_confirmed, SUM(x.payments_pending) AS payments_pending, SUM(x.paid_cents) AS paid_cents, SUM(x.notifications_unread) AS notifications_unread FROM (SELECT r.user_id, +(0) AS subscriptions_total, +(0) AS payments_total, +(0) AS payments_confirmed, +(0) AS payments_pending, +(0) AS paid_cents, +(0) AS notifications_unread FROM new_rows r UNION ALL SELECT r.user_id, -(0) AS subscriptions_total, -(0) AS payments_total, -(0) AS payments_confirmed, -(0) AS payments_pending, -(0) AS paid_cents, -(0) AS notifications_unread FROM old_rows r) x GROUP BY x.user_id) d ORDER BY d.user_id ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; RETURN NULL; END $$",
    "CREATE TRIGGER channels_sync_channelmembership_figures_update AFTER UPDATE ON channels_sync_channelmembership REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION channels_sync_channelmembership_figures_update()",
    "CREATE FUNCTION channels_sync_accountlink_figures_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) SELECT d.user_id, d.subscriptions_total, d.payments_total, d.payments_confirmed, d.payments_pending, d.paid_cents, d.notifications_unread, 1 FROM (SELECT x.user_id, SUM(x.subscriptions_total) AS subscriptions_total, SUM(x.payments_total) AS payments_total, SUM(x.payments_confirmed) AS payments_confirmed, SUM(x.payments_pending) AS payments_pending, SUM(x.paid_cents) AS paid_cents, SUM(x.notifications_unread) AS notifications_unread FROM (SELECT r.user_id, +(0) AS subscriptions_total, +(0) AS payments_total, +(0) AS payments_confirmed, +(0) AS payments_pending, +(0) AS paid_cents, +(0) AS notifications_unread FROM new_rows r) x GROUP BY x.user_id) d ORDER BY d.user_id ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; RETURN NULL; END $$",
    "CREATE TRIGGER channels_sync_accountlink_figures_insert AFTER INSERT ON channels_sync_accountlink REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION channels_sync_accountlink_figures_insert()",
    "CREATE FUNCTION channels_sync_accountlink_figures_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) SELECT d.user_id, d.subscriptions_total, d.payments_total, d.payments_confirmed, d.payments_pending, d.paid_cents, d.notifications_unread, 1 FROM (SELECT x.user_id, SUM(x.subscriptions_total) AS subscriptions_total, SUM(x.payments_total) AS payments_total, SUM(x.payments_confirmed) AS payments_confirmed, SUM(x.payments_pending) AS payments_pending, SUM(x.paid_cents) AS paid_cents, SUM(x.notifications_unread) AS notifications_unread FROM (SELECT r.user_id, -(0) AS subscriptions_total, -(0) AS payments_total, -(0) AS payments_confirmed, -(0) AS payments_pending, -(0) AS paid_cents, -(0) AS notifications_unread FROM old_rows r) x GROUP BY x.user_id) d ORDER BY d.user_id ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; RETURN NULL; END $$",
    "CREATE TRIGGER channels_sync_accountlink_figures_delete AFTER DELETE ON channels_sync_accountlink REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION channels_sync_accountlink_figures_delete()",
    "CREATE FUNCTION channels_sync_accountlink_figures_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) SELECT d.user_id, d.subscriptions_total, d.payments_total, d.payments_confirmed, d.payments_pending, d.paid_cents, d.notifications_unread, 1 FROM (SELECT x.user_id, SUM(x.subscriptions_total) AS subscriptions_total, SUM(x.payments_total) AS payments_total, SUM(x.payments_confirmed) AS payments_confirmed, SUM(x.payments_pending) AS payments_pending, SUM(x.paid_cents) AS paid_cents, SUM(x.notifications_unread) AS notifications_unread FROM (SELECT r.user_id, +(0) AS subscriptions_total, +(0) AS payments_total, +(0) AS payments_confirmed, +(0) AS payments_pending, +(0) AS paid_cents, +(0) AS notifications_unread FROM new_rows r UNION ALL SELECT r.user_id, -(0) AS subscriptions_total, -(0) AS payments_total, -(0) AS payments_confirmed, -(0) AS payments_pending, -(0) AS paid_cents, -(0) AS notifications_unread FROM old_rows r) x GROUP BY x.user_id) d ORDER BY d.user_id ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; RETURN NULL; END $$",
    "CREATE TRIGGER channels_sync_accountlink_figures_update AFTER UPDATE ON channels_sync_accountlink REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION channels_sync_accountlink_figures_update()",
]

SQLITE_INSTALL = [
    "CREATE TRIGGER channels_sync_channelmembership_figures_insert AFTER INSERT ON channels_sync_channelmembership FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(0), +(0), +(0), +(0), +(0), +(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER channels_sync_channelmembership_figures_delete AFTER DELETE ON channels_sync_channelmembership FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(0), -(0), -(0), -(0), -(0), -(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER channels_sync_channelmembership_figures_update AFTER UPDATE ON channels_sync_channelmembership FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(0), -(0), -(0), -(0), -(0), -(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(0), +(0), +(0), +(0), +(0), +(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER channels_sync_accountlink_figures_insert AFTER INSERT ON channels_sync_accountlink FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(0), +(0), +(0), +(0), +(0), +(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER channels_sync_accountlink_figures_delete AFTER DELETE ON channels_sync_accountlink FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(0), -(0), -(0), -(0), -(0), -(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER channels_sync_accountlink_figures_update AFTER UPDATE ON channels_sync_accountlink FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(0), -(0), -(0), -(0), -(0), -(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(0), +(0), +(0), +(0), +(0), +(0), 1) ON CONFLICT (user_id) DO UPDATE SET version = subscriptions_memberfigures.version + 1; END",
]

POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS channels_sync_channelmembership_figures_insert ON channels_sync_channelmembership",
    "DROP FUNCTION IF EXISTS channels_sync_channelmembership_figures_insert()",
    "DROP TRIGGER IF EXISTS channels_sync_channelmembership_figures_delete ON channels_sync_channelmembership",
    "DROP FUNCTION IF EXISTS channels_sync_channelmembership_figures_delete()",
    "DROP TRIGGER IF EXISTS channels_sync_channelmembership_figures_update ON channels_sync_channelmembership",
    "DROP FUNCTION IF EXISTS channels_sync_channelmembership_figures_update()",
    "DROP TRIGGER IF EXISTS channels_sync_accountlink_figures_insert ON channels_sync_accountlink",
    "DROP FUNCTION IF EXISTS channels_sync_accountlink_figures_insert()",
    "DROP TRIGGER IF EXISTS channels_sync_accountlink_figures_delete ON channels_sync_accountlink",
    "DROP FUNCTION IF EXISTS channels_sync_accountlink_figures_delete()",
    "DROP TRIGGER IF EXISTS channels_sync_accountlink_figures_update ON channels_sync_accountlink",
    "DROP FUNCTION IF EXISTS channels_sync_accountlink_figures_update()",
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS channels_sync_channelmembership_figures_insert",
    "DROP TRIGGER IF EXISTS channels_sync_channelmembership_figures_delete",
    "DROP TRIGGER IF EXISTS channels_sync_channelmembership_figures_update",
    "DROP TRIGGER IF EXISTS channels_sync_accountlink_figures_insert",
    "DROP TRIGGER IF EXISTS channels_sync_accountlink_figures_delete",
    "DROP TRIGGER IF EXISTS channels_sync_accountlink_figures_update",
]

INSTALL = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}
UNINSTALL = {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}


def _run(statements: dict):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotImplementedError(f"dashboard version triggers: no SQL for {vendor}")
        for sql in statements[vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    # After the migrations that create or remake the channel tables (SQLite drops a table's triggers when a
    # migration remakes it), and after the figures' version column.
    dependencies = [("subscriptions", "0004_dashboard_versions"), ("channels_sync", "0002_membership_action_reason")]

    operations = [migrations.RunPython(_run(INSTALL), _run(UNINSTALL))]
