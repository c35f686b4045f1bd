"""Checks of what an admin types into a payment method: bank details, addresses, instructions' placeholders.

Each `clean_*` returns the value normalised (IBAN without spaces, BIC in capitals...) or raises a French
ValidationError. `PaymentMethod.clean()` calls them; the admin form and the demo seed go through it.
"""

import hashlib
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import bic, iban
from stdnum.exceptions import ValidationError as StdnumError

# The values an admin may place in a method's instructions; a payment fills them in (payments.selectors).
PLACEHOLDERS = ("amount", "currency", "code", "plan")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


class CryptoNetwork(models.TextChoices):
    """The networks whose addresses we can check (an ERC20 or BEP20 token lives at an Ethereum-style address)."""

    TRC20 = "TRC20", _("TRON (TRC20)")
    ERC20 = "ERC20", _("Ethereum (ERC20)")
    BEP20 = "BEP20", _("BNB Smart Chain (BEP20)")
    BTC = "BTC", _("Bitcoin")


def clean_text(value, *, max_length: int = 200) -> str:
    """A required line of text (holder, bank, operator, place)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(_("Ce champ est obligatoire."), code="required")
    value = " ".join(value.split())
    if len(value) > max_length:
        raise ValidationError(_("%(max)d caractères au maximum.") % {"max": max_length}, code="max_length")
    return value


def clean_iban(value) -> str:
    try:
        return iban.validate(clean_text(value, max_length=50))
    except StdnumError as exc:
        raise ValidationError(
            _("IBAN invalide (longueur, format du pays ou clé de contrôle) : vérifiez-le."), code="invalid_iban"
        ) from exc


def clean_bic(value) -> str:
    try:
        return bic.validate(clean_text(value, max_length=20))
    except StdnumError as exc:
        raise ValidationError(
            _("BIC invalide : 8 ou 11 caractères (banque, pays, lieu, agence), par exemple BNPAFRPPXXX."),
            code="invalid_bic",
        ) from exc


def clean_paypal_address(value) -> str:
    value = clean_text(value, max_length=254)
    try:
        EmailValidator()(value)
    except ValidationError as exc:
        raise ValidationError(
            _("Adresse PayPal invalide : indiquez l'e-mail du compte."), code="invalid_paypal"
        ) from exc
    return value


def clean_phone_number(value) -> str:
    """An international number (mobile money), stored in E.164."""
    value = clean_text(value, max_length=30)
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Numéro invalide : indiquez un numéro international, par exemple +22507070707."), code="invalid_number"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_crypto_network(value) -> str:
    if value not in CryptoNetwork.values:
        raise ValidationError(
            _("Réseau inconnu : choisissez parmi %(networks)s.") % {"networks": ", ".join(CryptoNetwork.values)},
            code="invalid_network",
        )
    return value


# -- wallet addresses ------------------------------------------------------------------------------------------

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_CONSTANT, BECH32M_CONSTANT = 1, 0x2BC830A3
TRON_VERSION = 0x41
BTC_VERSIONS = (0x00, 0x05)  # pay to public key hash ("1..."), pay to script hash ("3...")
ETHEREUM_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")


def base58check_payload(text: str) -> bytes | None:
    """The payload of a Base58Check string (version byte included), or None if a character or the checksum is
    wrong."""
    number = 0
    for char in text:
        digit = BASE58.find(char)
        if digit < 0:
            return None
        number = number * 58 + digit
    leading_zeros = len(text) - len(text.lstrip("1"))
    raw = b"\x00" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    payload, checksum = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, constant in enumerate(generator):
            if (top >> bit) & 1:
                checksum ^= constant
    return checksum


def _is_segwit_address(text: str) -> bool:
    """BIP-173 (bech32, witness v0) and BIP-350 (bech32m, v1 to v16) mainnet addresses."""
    if text.lower() != text and text.upper() != text:
        return False  # mixed case is refused by the standard
    text = text.lower()
    if not text.startswith("bc1") or not 14 <= len(text) <= 90 or any(c not in BECH32 for c in text[3:]):
        return False
    data = [BECH32.index(c) for c in text[3:]]
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    constant = _bech32_polymod(hrp + data)
    version, words = data[0], data[1:-6]
    if version > 16 or constant != (BECH32_CONSTANT if version == 0 else BECH32M_CONSTANT):
        return False
    # 5-bit words back to bytes: the padding must be under 5 bits and zero.
    bits, accumulator, program = 0, 0, []
    for word in words:
        accumulator = (accumulator << 5) | word
        bits += 5
        while bits >= 8:
            bits -= 8
            program.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or accumulator & ((1 << bits) - 1):
        return False
    return 2 <= len(program) <= 40 and (version != 0 or len(program) in (20, 32))


def _is_wallet_address(network: str, address: str) -> bool:
    if network == CryptoNetwork.TRC20:
        payload = base58check_payload(address) if len(address) == 34 and address.startswith("T") else None
        return payload is not None and len(payload) == 21 and payload[0] == TRON_VERSION
    if network in (CryptoNetwork.ERC20, CryptoNetwork.BEP20):
        return bool(ETHEREUM_ADDRESS_RE.match(address))
    if network == CryptoNetwork.BTC:
        if address[:3].lower() == "bc1":
            return _is_segwit_address(address)
        payload = base58check_payload(address) if address[:1] in ("1", "3") and 26 <= len(address) <= 35 else None
        return payload is not None and len(payload) == 21 and payload[0] in BTC_VERSIONS
    return False


WALLET_FORMATS = {
    CryptoNetwork.TRC20: _("34 caractères commençant par T, avec sa clé de contrôle"),
    CryptoNetwork.ERC20: _("0x suivi de 40 caractères hexadécimaux"),
    CryptoNetwork.BEP20: _("0x suivi de 40 caractères hexadécimaux"),
    CryptoNetwork.BTC: _("commençant par 1 ou 3 (Base58Check) ou bc1 (bech32)"),
}


def clean_wallet_address(value, *, network: str) -> str:
    """An address on `network` (already checked), by its format and, where it has one, its checksum."""
    address = clean_text(value, max_length=100)
    if not _is_wallet_address(network, address):
        raise ValidationError(
            _("Adresse invalide pour le réseau %(network)s : %(format)s.")
            % {"network": network, "format": WALLET_FORMATS[CryptoNetwork(network)]},
            code="invalid_address",
        )
    return address


# -- instructions ----------------------------------------------------------------------------------------------


def validate_instructions(text: str) -> None:
    """Refuses a placeholder other than {amount}, {currency}, {code} and {plan}; single braces stay text."""
    unknown = sorted({name for name in PLACEHOLDER_RE.findall(text or "") if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Variable inconnue dans les instructions : %(unknown)s. Variables possibles : %(known)s.")
            % {
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            },
            code="unknown_placeholder",
        )
