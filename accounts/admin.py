from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.privacy import ErasureRefused, member_erase


def _email_taken(email: str, *, exclude_pk=None) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exclude(pk=exclude_pk).exists()


class MemberCreationForm(AdminUserCreationForm):
    """Add a member with an e-mail login; the model's clean() runs the contact validators."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def clean_email(self):
        email = self.cleaned_data["email"]
        if _email_taken(email):
            raise forms.ValidationError(_("Un compte existe déjà avec cette adresse e-mail."), code="email_taken")
        return email


class MemberChangeForm(UserChangeForm):
    preferred_markets = forms.MultipleChoiceField(
        choices=User.Market.choices, widget=forms.CheckboxSelectMultiple, required=False, label=_("marchés préférés")
    )

    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        email = self.cleaned_data["email"]
        if _email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Un compte existe déjà avec cette adresse e-mail."), code="email_taken")
        return email


class CompleteProfileFilter(admin.SimpleListFilter):
    """What the member fills in themself: both names and a Telegram or Discord username (verification aside)."""

    title = _("profil rempli (noms et Telegram ou Discord)")
    parameter_name = "profil_complet"

    complete_q = ~Q(first_name="") & ~Q(last_name="") & (~Q(telegram_username="") | ~Q(discord_username=""))

    def lookups(self, request, model_admin):
        return [("oui", _("Oui")), ("non", _("Non"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(self.complete_q)
        if self.value() == "non":
            return queryset.exclude(self.complete_q)
        return queryset


class UserAdmin(DjangoUserAdmin):
    """The member's admin page: forms, filters and fieldsets. Registered by the top app with the other apps' rows
    inline (member_space.admin.MemberAdmin), so accounts imports no app above it."""

    form = MemberChangeForm
    add_form = MemberCreationForm
    ordering = ("-date_joined",)
    list_display = (
        "email",
        "first_name",
        "last_name",
        "telegram_username",
        "discord_username",
        "is_verified",
        "can_make_payment",
        "is_staff",
        "date_joined",
        "deleted_marker",
    )
    list_filter = (
        "is_verified",
        CompleteProfileFilter,
        "can_make_payment",
        "is_staff",
        "is_active",
        ("deleted_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email", "first_name", "last_name", "telegram_username", "discord_username")
    readonly_fields = (
        "deleted_marker",
        "can_make_payment",
        "last_login",
        "date_joined",
        "terms_version",
        "terms_accepted_at",
        "privacy_version",
        "privacy_accepted_at",
    )
    actions = ["erase_selected"]
    fieldsets = (
        (None, {"fields": ("deleted_marker", "email", "password")}),
        (
            _("Profil"),
            {"fields": ("first_name", "last_name", "telegram_username", "discord_username", "whatsapp_number")},
        ),
        (
            _("Préférences"),
            {"fields": ("trading_experience", "preferred_markets", "risk_tolerance", "email_reminders")},
        ),
        (_("Statut"), {"fields": ("is_verified", "can_make_payment")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
        (
            _("Consentement"),
            {"fields": ("terms_version", "terms_accepted_at", "privacy_version", "privacy_accepted_at")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )

    @admin.display(description=_("suppression"), ordering="deleted_at")
    def deleted_marker(self, user: User) -> str:
        if user.deleted_at is None:
            return ""
        return _("compte supprimé le %(date)s") % {
            "date": formats.date_format(user.deleted_at, "SHORT_DATETIME_FORMAT")
        }

    @admin.action(description=_("Supprimer les données personnelles"), permissions=["change"])
    def erase_selected(self, request, queryset):
        """A member's erasure asked by e-mail: the same service as their own deletion, after a confirmation page."""
        members = list(queryset.filter(deleted_at__isnull=True).exclude(pk=request.user.pk).order_by("pk"))
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": _("Supprimer les données personnelles"),
                "opts": self.model._meta,
                "members": members,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action": "erase_selected",
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(request, "admin/accounts/user/erase_selected.html", context)
        erased = []
        for member in members:
            try:
                member_erase(user=member)
            except ErasureRefused as exc:
                self.message_user(request, f"{member.email} : {exc}", messages.ERROR)
            else:
                erased.append(member)
        if erased:
            self.message_user(
                request,
                ngettext(
                    "Données personnelles supprimées pour %(count)d membre.",
                    "Données personnelles supprimées pour %(count)d membres.",
                    len(erased),
                )
                % {"count": len(erased)},
                messages.SUCCESS,
            )
        return None
