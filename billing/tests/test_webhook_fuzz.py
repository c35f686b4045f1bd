"""The webhook fuzzed past its signature: any signed JSON, event-shaped or not, is a 200 or a French 400, never a
5xx; a 400 stores nothing, a 200 stored the event (or found it stored: a replay)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import StripeEvent
from billing.tests.stripe_signing import deliver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_on")]

_text = st.text(st.characters(codec="utf-8"), max_size=20)  # lone surrogates cannot be UTF-8 encoded
_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)


def _field(strategy):
    return strategy | _junk


events = st.fixed_dictionaries(
    {
        "id": _field(st.from_regex(r"evt_[A-Za-z0-9]{1,24}", fullmatch=True)),
        "type": _field(st.sampled_from(["checkout.session.completed", "invoice.paid", "charge.refunded"])),
        "created": _field(st.integers(min_value=-(2**63), max_value=2**63)),
        "data": _field(
            st.fixed_dictionaries(
                {
                    "object": _field(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "client_reference_id": _junk,
                                "payment_status": _field(st.just("paid")),
                            },
                        )
                    )
                }
            )
        ),
    }
)


@given(document=events | _junk)
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_signed_json_is_a_200_or_a_french_400(document):
    before = StripeEvent.objects.count()

    response = deliver(json.dumps(document).encode())

    assert response.status_code in {200, 400}, response.content
    if response.status_code == 400:
        assert set(response.json()) == {"detail"}
        assert StripeEvent.objects.count() == before
    else:
        assert response.json() == {"received": True}
        row = StripeEvent.objects.get(event_id=document["id"])
        # The examples share one database: an id drawn again is a replay, and the first delivery's row stays.
        assert row.payload == document or StripeEvent.objects.count() == before
