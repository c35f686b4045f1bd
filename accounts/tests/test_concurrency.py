import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.models import User


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_of_one_address_make_one_account():
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def register(email: str) -> None:
        try:
            barrier.wait(timeout=10)
            response = APIClient().post(
                "/api/auth/register/", {"email": email, "password": "Zk3!pqrstu9", "accept_terms": True}, format="json"
            )
            statuses.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=register, args=("Course@Example.com",)),
        threading.Thread(target=register, args=("course@example.com",)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert statuses == [201, 201]
    assert User.objects.filter(email__iexact="course@example.com").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registration_losing_the_race_on_the_unique_index_still_answers_201():
    """The other registration's row is not committed yet when ours checks: only the Lower(email) index stops us."""
    inserted, release = threading.Event(), threading.Event()

    def first_registration() -> None:
        try:
            with transaction.atomic():
                User.objects.create_user(email="race@example.com", password="x")
                inserted.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=first_registration)
    holder.start()
    assert inserted.wait(timeout=10)
    results: list[int] = []

    def second_registration() -> None:
        try:
            body = {"email": "RACE@example.com", "password": "Zk3!pqrstu9", "accept_terms": True}
            results.append(APIClient().post("/api/auth/register/", body, format="json").status_code)
        finally:
            connection.close()

    contender = threading.Thread(target=second_registration)
    contender.start()
    with connection.cursor() as cursor:
        for _ in range(500):  # wait until the contender is blocked on the first one's uncommitted row
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.02)
        else:
            pytest.fail("the second registration never waited on the unique index")
    release.set()
    holder.join(timeout=20)
    contender.join(timeout=20)

    assert results == [201]
    assert User.objects.filter(email__iexact="race@example.com").count() == 1
    assert [m.subject for m in mail.outbox] == ["Tentative d'inscription avec votre adresse e-mail"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_uses_of_one_reset_link_change_the_password_once():
    from accounts import services
    from accounts.tests.factories import UserFactory

    member = UserFactory()
    token = services.make_password_reset_token(user=member)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def reset(password: str) -> None:
        try:
            services.user_reset_password(token=token, new_password=password)
            outcomes.append(password)
        except services.InvalidToken:
            outcomes.append("refused")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # Hold the member's row so both uses pass the first token check and queue on the lock together.
    with transaction.atomic():
        User.objects.select_for_update().get(pk=member.pk)
        threads = [threading.Thread(target=reset, args=(p,)) for p in ("Premier-Mot-2026", "Second-Mot-2026")]
        for thread in threads:
            thread.start()
        _wait_for_lock_waiters(2, errors)
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(outcomes)[-1] == "refused" and len(outcomes) == 2
    winner = next(o for o in outcomes if o != "refused")
    member.refresh_from_db()
    assert member.check_password(winner)


def _wait_for_lock_waiters(count: int, errors: list) -> None:
    import time

    with connection.cursor() as cursor:
        for _ in range(200):
            # Inside a transaction pg_stat_activity is a snapshot: clear it to see the sessions as they are now.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
        cursor.execute("SELECT state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity")
        activity = cursor.fetchall()
    raise AssertionError(f"{count} sessions never queued on the member's row lock: {activity} {errors}")
