from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalize_discord_username, normalize_telegram_username, normalize_whatsapp_number


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_verified", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    class TradingExperience(models.TextChoices):
        BEGINNER = "beginner", _("Débutant")
        INTERMEDIATE = "intermediate", _("Intermédiaire")
        ADVANCED = "advanced", _("Avancé")

    class Market(models.TextChoices):
        FOREX = "forex", _("Forex")
        CRYPTO = "crypto", _("Crypto-monnaies")
        INDICES = "indices", _("Indices")
        COMMODITIES = "commodities", _("Matières premières")
        STOCKS = "stocks", _("Actions")

    class RiskTolerance(models.TextChoices):
        LOW = "low", _("Faible")
        MEDIUM = "medium", _("Modérée")
        HIGH = "high", _("Élevée")

    email = models.EmailField(_("adresse e-mail"), max_length=254)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_verified = models.BooleanField(_("e-mail vérifié"), default=False)
    telegram_username = models.CharField(_("Telegram"), max_length=32, blank=True)
    discord_username = models.CharField(_("Discord"), max_length=37, blank=True)
    whatsapp_number = models.CharField(_("WhatsApp"), max_length=20, blank=True)
    can_make_payment = models.BooleanField(_("peut payer"), default=False, editable=False)
    trading_experience = models.CharField(
        _("expérience de trading"), max_length=20, choices=TradingExperience.choices, blank=True
    )
    preferred_markets = models.JSONField(_("marchés préférés"), default=list, blank=True)
    risk_tolerance = models.CharField(
        _("tolérance au risque"), max_length=10, choices=RiskTolerance.choices, blank=True
    )
    email_reminders = models.BooleanField(_("rappels par e-mail"), default=True)
    is_staff = models.BooleanField(_("équipe"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # Consent given at registration to the terms and the privacy notice, by version (settings.TERMS_VERSION,
    # settings.PRIVACY_VERSION; the pages /espace/conditions/ and /espace/confidentialite/).
    terms_version = models.CharField(_("version des conditions acceptée"), max_length=20, blank=True, editable=False)
    terms_accepted_at = models.DateTimeField(_("conditions acceptées le"), null=True, blank=True, editable=False)
    privacy_version = models.CharField(
        _("version de la politique de confidentialité acceptée"), max_length=20, blank=True, editable=False
    )
    privacy_accepted_at = models.DateTimeField(
        _("politique de confidentialité acceptée le"), null=True, blank=True, editable=False
    )
    # Set when the member's personal data was erased (accounts.privacy.member_erase): the row stays, anonymised,
    # for the payments kept for the legal retention period.
    deleted_at = models.DateTimeField(_("compte supprimé le"), null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(trading_experience__in=["", "beginner", "intermediate", "advanced"]),
                name="accounts_user_trading_experience_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_tolerance__in=["", "low", "medium", "high"]),
                name="accounts_user_risk_tolerance_valid",
            ),
        ]

    # Fields whose change can flip can_make_payment.
    ELIGIBILITY_FIELDS = ("first_name", "last_name", "is_verified", "telegram_username", "discord_username")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    def missing_profile_fields(self) -> list[str]:
        """What the member still has to provide before paying, in the API's vocabulary."""
        missing = []
        if not self.first_name.strip():
            missing.append("first_name")
        if not self.last_name.strip():
            missing.append("last_name")
        if not self.is_verified:
            missing.append("email_verified")
        if not (self.telegram_username or self.discord_username):
            missing.append("telegram_or_discord")
        return missing

    def has_complete_profile(self) -> bool:
        return not self.missing_profile_fields()

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)
        # Each contact is normalised by its one validator; errors are reported on their field (admin forms).
        errors = {}
        for field, normalize in (
            ("telegram_username", normalize_telegram_username),
            ("discord_username", normalize_discord_username),
            ("whatsapp_number", normalize_whatsapp_number),
        ):
            try:
                setattr(self, field, normalize(getattr(self, field)))
            except ValidationError as exc:
                errors[field] = exc.error_list
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # can_make_payment is derived data, recomputed on every save path (API, admin, shell).
        self.can_make_payment = self.has_complete_profile()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.ELIGIBILITY_FIELDS):
            kwargs["update_fields"] = set(update_fields) | {"can_make_payment"}
        super().save(*args, **kwargs)
