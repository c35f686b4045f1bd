"""Channel access: linked accounts, one-time link tokens, membership state and the action log.

Everything is keyed on the platforms' numeric ids; usernames change, ids do not.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    DISCORD = "discord", _("Discord")


class SyncKind(models.TextChoices):
    """The sync's kinds of work on a membership, in the order a run does them (revocations before grants); the
    labels name them in a dry run's plan. Not stored: the remote calls made are logged as ChannelAction.Action."""

    REVOKE_STALE = "revoke_stale", _("retirer l'ancien compte")
    REMOVE = "remove", _("retirer")
    GRANT = "grant", _("inviter / ajouter")
    RENEW_INVITE = "renew_invite", _("vérifier puis réinviter")


class AccountLink(models.Model):
    """A member's account on one platform. Discord OAuth tokens are stored Fernet-encrypted (see crypto.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_links", verbose_name=_("membre")
    )
    platform = models.CharField(_("plateforme"), max_length=10, choices=Platform.choices)
    remote_id = models.CharField(_("identifiant numérique"), max_length=32)
    remote_username = models.CharField(_("nom sur la plateforme"), max_length=100, blank=True)
    access_token_encrypted = models.TextField(_("jeton d'accès (chiffré)"), blank=True)
    refresh_token_encrypted = models.TextField(_("jeton de rafraîchissement (chiffré)"), blank=True)
    token_expires_at = models.DateTimeField(_("expiration du jeton"), null=True, blank=True)
    linked_at = models.DateTimeField(_("lié le"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compte lié")
        verbose_name_plural = _("comptes liés")
        constraints = [
            models.UniqueConstraint(fields=["user", "platform"], name="channels_one_link_per_platform"),
            models.UniqueConstraint(fields=["platform", "remote_id"], name="channels_remote_id_linked_once"),
            models.CheckConstraint(
                condition=models.Q(platform__in=["telegram", "discord"]), name="channels_link_platform_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_platform_display()} {self.remote_id}"


class LinkToken(models.Model):
    """One-time linking token: a Telegram deep-link token or a Discord OAuth `state` nonce. Only its SHA-256
    is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_link_tokens", verbose_name=_("membre")
    )
    platform = models.CharField(_("plateforme"), max_length=10, choices=Platform.choices, default=Platform.TELEGRAM)
    token_hash = models.CharField(_("empreinte"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("jeton de liaison")
        verbose_name_plural = _("jetons de liaison")
        indexes = [models.Index(fields=["user", "platform"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.platform}"


class ChannelMembership(models.Model):
    """What we know of one member on one platform, and what the sync must do next.

    `has_access` says whether we granted access that has not been taken back (an outstanding invite or
    a membership); the sync compares it with entitlement. `stale_remote_id` is an old account whose
    grant must be revoked before the new account is invited. `action_reason` says why a member shows "action
    required" (their next step and the admin's read it).

    `lease_owner` / `lease_until`: the sync run holding the row. A run acts on a row only while it holds it, and
    renews the lease before each remote call (sync.py).
    """

    class State(models.TextChoices):
        NOT_LINKED = "not_linked", _("Non lié")
        LINK_PENDING = "link_pending", _("Liaison en cours")
        LINKED = "linked", _("Compte lié")
        INVITED = "invited", _("Invité")
        MEMBER = "member", _("Membre")
        LEFT = "left", _("A quitté")
        REMOVED = "removed", _("Retiré")
        ACTION_REQUIRED = "action_required", _("Action requise")

    class Reason(models.TextChoices):
        """Why the platform refuses this member for good: a person must act before a retry can succeed."""

        TOKEN = "token", _("Autorisation Discord expirée")
        BANNED = "banned", _("Banni du serveur")
        ROLE_ABOVE_BOT = "role_above_bot", _("Rôle au-dessus de celui du bot")
        UNKNOWN_ACCOUNT = "unknown_account", _("Compte introuvable")
        REPEATED_FAILURES = "repeated_failures", _("Échecs répétés")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="channel_memberships",
        verbose_name=_("membre"),
    )
    platform = models.CharField(_("plateforme"), max_length=10, choices=Platform.choices)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.NOT_LINKED)
    has_access = models.BooleanField(_("accès accordé"), default=False)
    stale_remote_id = models.CharField(_("ancien compte à retirer"), max_length=32, blank=True)
    invite_link = models.CharField(_("lien d'invitation"), max_length=255, blank=True)
    invite_expires_at = models.DateTimeField(_("expiration de l'invitation"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    action_reason = models.CharField(_("motif de l'action requise"), max_length=20, choices=Reason.choices, blank=True)
    lease_until = models.DateTimeField(_("réservé jusqu'à"), null=True, blank=True)
    lease_owner = models.CharField(_("réservé par"), max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("accès au canal")
        verbose_name_plural = _("accès aux canaux")
        indexes = [models.Index(fields=["platform", "has_access"]), models.Index(fields=["platform", "state"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "platform"], name="channels_one_membership_per_platform"),
            models.CheckConstraint(
                condition=models.Q(platform__in=["telegram", "discord"]), name="channels_membership_platform_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=[
                        "not_linked",
                        "link_pending",
                        "linked",
                        "invited",
                        "member",
                        "left",
                        "removed",
                        "action_required",
                    ]
                ),
                name="channels_membership_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    action_reason__in=[
                        "",
                        "token",
                        "banned",
                        "role_above_bot",
                        "unknown_account",
                        "repeated_failures",
                    ]
                ),
                name="channels_membership_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_platform_display()} : {self.get_state_display()}"


class ChannelAction(models.Model):
    """Every remote call made for a member, with its outcome and the API's answer."""

    class Action(models.TextChoices):
        INVITE = "invite", _("Invitation")
        ADD = "add", _("Ajout")
        APPROVE = "approve", _("Demande acceptée")
        DECLINE = "decline", _("Demande refusée")
        REMOVE = "remove", _("Retrait")
        MESSAGE = "message", _("Message")
        REVOKE = "revoke", _("Révocation du lien")
        CHECK = "check", _("Vérification")
        REFRESH = "refresh", _("Rafraîchissement du jeton")

    class Outcome(models.TextChoices):
        OK = "ok", _("Réussi")
        FAILED = "failed", _("En échec")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="channel_actions",
        verbose_name=_("membre"),
    )
    platform = models.CharField(_("plateforme"), max_length=10, choices=Platform.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    outcome = models.CharField(_("résultat"), max_length=10, choices=Outcome.choices)
    remote_id = models.CharField(_("identifiant visé"), max_length=32, blank=True)
    response = models.JSONField(_("réponse de l'API"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("action sur un canal")
        verbose_name_plural = _("actions sur les canaux")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["platform", "action", "outcome"])]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.get_action_display()} ({self.get_outcome_display()})"
