import pytest


@pytest.fixture(autouse=True)
def seller(settings):
    """A seller charging VAT at 20 %, unless a test sets another rate."""
    settings.INVOICE_SELLER_NAME = "CalmnessFi SAS"
    settings.INVOICE_SELLER_ADDRESS = "12 rue de l'Étoile\n75017 Paris"
    settings.INVOICE_SELLER_SIRET = "12345678900012"
    settings.INVOICE_SELLER_VAT_NUMBER = "FR12123456789"
    settings.INVOICE_VAT_RATE = "20.0"
    return settings
