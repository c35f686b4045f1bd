"""Validation and normalisation of the contact fields (one definition, used by models and serializers)."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TELEGRAM_RE = re.compile(r"^[A-Za-z0-9_]{5,32}$")
DISCORD_RE = re.compile(r"^(?!.*\.\.)[a-z0-9_.]{2,32}$")
DISCORD_LEGACY_RE = re.compile(r"^[^@#:`]{2,32}#\d{4}$")


def normalize_telegram_username(value: str) -> str:
    value = (value or "").strip()
    if value.startswith("@"):
        value = value[1:]
    if value and not TELEGRAM_RE.match(value):
        raise ValidationError(
            _("Nom d'utilisateur Telegram invalide : 5 à 32 caractères parmi lettres, chiffres et « _ »."),
            code="invalid_telegram",
        )
    return value


def normalize_discord_username(value: str) -> str:
    value = (value or "").strip()
    if value and not (DISCORD_RE.match(value) or DISCORD_LEGACY_RE.match(value)):
        raise ValidationError(
            _(
                "Nom d'utilisateur Discord invalide : 2 à 32 caractères parmi minuscules, chiffres, « _ » et « . » "
                "(sans « .. »), ou l'ancien format nom#1234."
            ),
            code="invalid_discord",
        )
    return value


def normalize_whatsapp_number(value: str, default_region: str = "FR") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Numéro WhatsApp invalide : indiquez un numéro international, par exemple +33612345678."),
            code="invalid_whatsapp",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
