import pytest

from payments.models import PaymentKind
from payments.tests.factories import PaymentMethodFactory


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Proofs of payment go to a folder of the test's own (the private storage follows the setting)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def offered_methods(db) -> dict[str, object]:
    """One active method of each kind, by kind: declaring with `method` alone finds exactly one."""
    return {kind: PaymentMethodFactory(kind=kind, label=f"{kind.label} (test)") for kind in PaymentKind}
