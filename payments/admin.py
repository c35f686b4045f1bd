"""Admins confirm or reject declared payments here; every action goes through payments.services. Payments are
records: read here, never edited nor deleted. member_space.admin replaces PaymentAdmin by a subclass that adds
what the apps above payments know of the member (their channel access)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Case, Count, F, IntegerField, Sum, Value, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import clock
from core.admin import ReadOnlyInline, ReadOnlyModelAdmin
from core.templatetags.money import format_money
from payments.models import (
    DETAIL_FIELDS,
    Coupon,
    CouponRedemption,
    Payment,
    PaymentKind,
    PaymentMethod,
    ProofType,
    Refund,
)
from payments.proofs import proof_response
from payments.refunds import payment_refund_record, refund_access_decide
from payments.selectors import payment_proof_file
from payments.serializers import PAYMENT_FIELDS
from payments.services import PaymentError, payment_confirm, payment_reject
from payments.validators import PLACEHOLDERS, CryptoNetwork
from subscriptions.models import Subscription


def _detail_form_field(key: str) -> forms.Field:
    """The admin's field for one key of `details`, labelled for every kind that uses it."""
    uses = [
        (PaymentKind(kind), field) for kind, fields in DETAIL_FIELDS.items() for field in fields if field.key == key
    ]
    label = " / ".join(dict.fromkeys(capfirst(str(field.label)) for _kind, field in uses))
    help_text = format_lazy(gettext_lazy("Pour : {kinds}."), kinds=", ".join(str(kind.label) for kind, _field in uses))
    if key == "network":
        choices = [("", "—"), *CryptoNetwork.choices]
        return forms.ChoiceField(label=label, help_text=help_text, required=False, choices=choices)
    return forms.CharField(label=label, help_text=help_text, required=False, max_length=254)


class PaymentMethodForm(forms.ModelForm):
    """One plain field per detail (IBAN, BIC, address...) instead of raw JSON; the kind chosen says which are kept.
    Every check is PaymentMethod.clean()'s: its errors name the detail, so they show next to its field."""

    iban = _detail_form_field("iban")
    bic = _detail_form_field("bic")
    holder = _detail_form_field("holder")
    bank = _detail_form_field("bank")
    network = _detail_form_field("network")
    address = _detail_form_field("address")
    operator = _detail_form_field("operator")
    number = _detail_form_field("number")
    place = _detail_form_field("place")

    class Meta:
        model = PaymentMethod
        fields = ("label", "kind", "is_active", "position", "instructions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, value in (self.instance.details or {}).items():
            self.initial.setdefault(key, value)

    def clean(self):
        super().clean()
        kind = self.cleaned_data.get("kind") or ""
        # Only the chosen kind's details are kept; the model's clean() then checks them, as everywhere.
        self.instance.details = {
            field.key: self.cleaned_data.get(field.key, "") for field in DETAIL_FIELDS.get(kind, ())
        }
        return self.cleaned_data


DETAIL_KEYS = tuple(dict.fromkeys(field.key for fields in DETAIL_FIELDS.values() for field in fields))


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    form = PaymentMethodForm
    list_display = ("label", "kind", "is_active", "position")
    list_display_links = ("label",)
    list_editable = ("is_active", "position")
    list_filter = ("kind", "is_active")
    search_fields = ("label",)
    fieldsets = (
        (None, {"fields": ("label", "kind", "is_active", "position")}),
        (
            gettext_lazy("Coordonnées"),
            {
                "fields": DETAIL_KEYS,
                "description": format_lazy(
                    gettext_lazy("Remplissez les champs du type choisi, les autres sont ignorés. {kinds}."),
                    kinds=" ; ".join(
                        f"{kind.label} : " + (", ".join(str(field.label) for field in DETAIL_FIELDS[kind]) or "—")
                        for kind in PaymentKind
                    ),
                ),
            },
        ),
        (
            gettext_lazy("Instructions"),
            {
                "fields": ("instructions",),
                "description": format_lazy(
                    gettext_lazy("Variables possibles : {names}."),
                    names=", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
                ),
            },
        ),
    )


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du rejet (envoyé au membre)"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
    )


class RefundForm(forms.Form):
    """A refund made outside Stripe (a bank transfer back...): how much was given back and when access ends."""

    amount = forms.DecimalField(label=gettext_lazy("Montant remboursé"), max_digits=10, decimal_places=2)
    access_ends = forms.ChoiceField(
        label=gettext_lazy("Fin de l'accès"),
        choices=Refund.AccessEnds.choices,
        initial=Refund.AccessEnds.NOW,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, payment: Payment, **kwargs):
        super().__init__(*args, **kwargs)
        amount = self.fields["amount"]
        amount.initial = payment.amount
        amount.validators += [MinValueValidator(Decimal("0.01")), MaxValueValidator(payment.amount)]
        amount.widget.attrs.update({"min": "0.01", "max": str(payment.amount), "step": "0.01"})
        amount.help_text = _("Au plus le montant du paiement (%(amount)s), en %(currency)s.") % {
            "amount": format_money(payment.amount, payment.currency),
            "currency": payment.currency,
        }


class RefundAccessForm(forms.Form):
    access_ends = forms.ChoiceField(choices=Refund.AccessEnds.choices)


# Pending payments first (they need an admin), the oldest of them first (waiting longest); then the others, newest
# first (the history).
PENDING_FIRST = Case(
    When(status=Payment.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
).asc()
PENDING_OLDEST_FIRST = Case(When(status=Payment.Status.PENDING, then=F("created_at"))).asc(nulls_last=True)
# The pending payments the admin's index lists (member_space.templatetags.admin_index); the rest is one link away.
INDEX_PENDING_LIMIT = 20


def time_ago(moment: datetime, *, now: datetime | None = None) -> str:
    """How long ago `moment` was, as the admin reads it at a glance: "il y a 12 min", "il y a 3 h" (up to two
    days), "il y a 4 jours"."""
    minutes = max(int(((now or clock.now()) - moment).total_seconds()), 0) // 60
    if minutes < 1:
        return _("à l'instant")
    if minutes < 60:
        return _("il y a %(count)d min") % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("il y a %(count)d h") % {"count": hours}
    return _("il y a %(count)d jours") % {"count": hours // 24}


def member_display(user) -> str:
    """The member's name and e-mail, linked to their admin page; a narrow column breaks the address before its @."""
    local, at, domain = user.email.partition("@")
    return format_html(
        '<a href="{}" class="payment-member"><strong>{}</strong></a><span class="payment-email">{}<wbr>{}{}</span>',
        reverse("admin:accounts_user_change", args=[user.pk]),
        user.get_full_name() or user.email,
        local,
        at,
        domain,
    )


@dataclass(frozen=True)
class PendingOverview:
    """The pending payments for the admin's index: the oldest `INDEX_PENDING_LIMIT`, their count and totals."""

    payments: list[Payment]
    count: int
    totals: list[tuple[str, Decimal]]  # (currency, total), by currency code


# The payment's page: the member's view of the payment (the amount written as money) with who acted.
PAYMENT_PAGE_FIELDS: tuple[str, ...] = (
    "user",
    *[("amount_display" if name == "amount" else name) for name in PAYMENT_FIELDS if name != "currency"],
    "proof",
    "confirmed_by",
    "rejected_by",
    "cancelled_by",
    "idempotency_key",
)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "code_display",
        "member",
        "plan",
        "amount_and_method",
        "status_display",
        "age",
        "has_proof",
    )
    list_display_links = ("code_display",)
    list_filter = ("status", "payment_method", "method", "plan")
    search_fields = ("code", "user__email", "user__first_name", "user__last_name", "reference")
    list_select_related = ("user", "plan", "payment_method")
    date_hierarchy = "created_at"
    actions = ("confirm_selected", "reject_selected")
    change_form_template = "admin/payments/payment/change_form.html"
    fields = PAYMENT_PAGE_FIELDS
    # A payment is a record: it changes only through the confirm/reject services, never by editing the row.
    readonly_fields = PAYMENT_PAGE_FIELDS

    class Media:
        css = {"all": ("payments/admin.css",)}

    def get_ordering(self, request):
        return [PENDING_FIRST, PENDING_OLDEST_FIRST, "-created_at", "-id"]

    @admin.display(description=gettext_lazy("code"), ordering="code")
    def code_display(self, payment: Payment) -> str:
        return format_html('<span class="payment-code-text">{}</span>', payment.code)

    @admin.display(description=gettext_lazy("membre"), ordering="user__email")
    def member(self, payment: Payment) -> str:
        return member_display(payment.user)

    @admin.display(description=gettext_lazy("montant"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return format_money(payment.amount, payment.currency)

    # One column for how much and how: nine columns beside the menu and the filters do not fit a 1366 px laptop.
    @admin.display(description=gettext_lazy("montant"), ordering="amount")
    def amount_and_method(self, payment: Payment) -> str:
        method = payment.payment_method.label if payment.payment_method else payment.get_method_display()
        return format_html(
            '<span class="payment-amount">{}</span><span class="payment-email">{}</span>',
            format_money(payment.amount, payment.currency),
            method,
        )

    @admin.display(description=gettext_lazy("statut"), ordering="status")
    def status_display(self, payment: Payment) -> str:
        return format_html(
            '<span class="payment-status payment-status-{}">{}</span>', payment.status, payment.get_status_display()
        )

    @admin.display(description=gettext_lazy("déclaré"), ordering="created_at")
    def age(self, payment: Payment) -> str:
        return format_html(
            '<span title="{}">{}</span>',
            f"{timezone.localtime(payment.created_at):%d/%m/%Y %H:%M}",
            time_ago(payment.created_at),
        )

    @admin.display(description=gettext_lazy("preuve"), boolean=True)
    def has_proof(self, payment: Payment) -> bool:
        return bool(payment.proof_name)

    @admin.display(description=gettext_lazy("preuve de paiement"))
    def proof(self, payment: Payment):
        if not payment.proof_name:
            return _("aucune")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("admin:payments_payment_proof", args=[payment.pk]),
            _("Voir la preuve (%(type)s, envoyée le %(date)s)")
            % {
                "type": payment.get_proof_type_display(),
                "date": f"{timezone.localtime(payment.proof_uploaded_at):%d/%m/%Y %H:%M}",
            },
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # -- the admin's index --------------------------------------------------------------------

    def pending_overview(self, request) -> PendingOverview:
        """The pending payments, oldest first (at most INDEX_PENDING_LIMIT), their count and totals by currency:
        two queries whatever their number."""
        pending = self.get_queryset(request).filter(status=Payment.Status.PENDING)
        by_currency = list(
            pending.order_by("currency").values("currency").annotate(count=Count("id"), total=Sum("amount"))
        )
        if not by_currency:
            return PendingOverview(payments=[], count=0, totals=[])
        rows = pending.select_related("user", "plan", "payment_method").order_by("created_at", "id")
        return PendingOverview(
            payments=list(rows[:INDEX_PENDING_LIMIT]),
            count=sum(row["count"] for row in by_currency),
            totals=[(row["currency"], row["total"]) for row in by_currency],
        )

    # -- the change page: a record to read, with the decision buttons -------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # nothing to save: the buttons post to the confirm and reject views
        # No "Enregistrer": next to "Confirmer" it would look like a decision.
        context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        payment = self._payment_for_page(request, object_id)
        if payment is not None:  # else Django's own answer (a missing payment)
            context.update(self.payment_page_context(request, payment))
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _payment_for_page(self, request, object_id: str) -> Payment | None:
        try:
            pk = int(object_id)
        except ValueError:
            return None
        return self.get_queryset(request).select_related("user", "plan").filter(pk=pk).first()

    def payment_page_context(self, request, payment: Payment) -> dict:
        """What the payment's page shows beyond its fields: the amount as money and the proof's preview."""
        amount = format_money(payment.amount, payment.currency)
        return {
            # Not Django's "Modification de paiement": nothing here is edited.
            "title": _("Paiement à vérifier") if payment.status == Payment.Status.PENDING else _("Paiement"),
            # Instead of the model's "e-mail – plan – 49.00 EUR (status)".
            "subtitle": f"{payment.code} · {payment.user.get_full_name() or payment.user.email} · {amount}",
            "amount_money": amount,
            "proof_url": reverse("admin:payments_payment_proof", args=[payment.pk]) if payment.proof_name else None,
            "proof_is_image": payment.proof_type in (ProofType.PNG, ProofType.JPEG),
            "refund": Refund.objects.filter(payment=payment)
            .select_related("recorded_by", "access_decided_by", "payment__subscription")
            .first(),
            "access_choices": Refund.AccessEnds.choices,
        }

    # -- list actions -------------------------------------------------------------------------

    def confirmation_follow_up(self, request, payments: list[Payment]) -> str:
        """What to add to the confirmation's message once `payments` were confirmed (committed). Nothing here:
        member_space.admin's subclass says what happened to the members' channel access (payments imports no app
        above it)."""
        return ""

    def _apply_to_each(self, request, payments, act, success, follow_up=None) -> None:
        """Runs `act(payment)` on each payment (one transaction each); reports how many changed and each refusal.

        `act` returns whether the payment changed; `success` is an ngettext message taking %(count)d; `follow_up`,
        called once every payment was handled, gives words added to that message.
        """
        changed, failed = 0, []
        for payment in payments:
            try:
                changed += act(payment)
            except PaymentError as exc:
                failed.append(f"{payment.code} : {exc}")
        if changed:
            message = success(changed) % {"count": changed}
            extra = follow_up() if follow_up else ""
            self.message_user(request, f"{message} {extra}".strip(), messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=gettext_lazy("Confirmer les paiements sélectionnés"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        confirmed: list[Payment] = []

        def confirm(payment) -> bool:
            was_pending = payment.status == Payment.Status.PENDING
            payment_confirm(payment=payment, by=request.user)
            if was_pending:
                confirmed.append(payment)
            return was_pending

        self._apply_to_each(
            request,
            queryset.order_by("created_at", "id"),
            confirm,
            lambda n: ngettext("%(count)d paiement confirmé.", "%(count)d paiements confirmés.", n),
            lambda: self.confirmation_follow_up(request, confirmed),
        )

    @admin.action(description=gettext_lazy("Rejeter les paiements sélectionnés"), permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():

            def reject(payment) -> bool:
                payment_reject(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
                return True

            self._apply_to_each(
                request,
                queryset,
                reject,
                lambda n: ngettext("%(count)d paiement rejeté.", "%(count)d paiements rejetés.", n),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rejeter des paiements"),
            "opts": self.model._meta,
            "form": form,
            "payments": queryset.select_related("user", "plan"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "reject_selected",
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/payments/payment/reject_selected.html", context)

    # -- buttons on the change page and the index ---------------------------------------------------

    def get_urls(self):
        custom = [
            path("<int:pk>/confirm/", self.admin_site.admin_view(self.confirm_view), name="payments_payment_confirm"),
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view), name="payments_payment_reject"),
            path("<int:pk>/proof/", self.admin_site.admin_view(self.proof_view), name="payments_payment_proof"),
            path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view), name="payments_payment_refund"),
            path(
                "<int:pk>/refund-access/",
                self.admin_site.admin_view(self.refund_access_view),
                name="payments_payment_refund_access",
            ),
        ]
        return custom + super().get_urls()

    def _payment_for_change(self, request, pk: int) -> Payment:
        payment = get_object_or_404(Payment.objects.select_related("user", "plan"), pk=pk)
        if not self.has_change_permission(request, payment):
            raise PermissionDenied
        return payment

    def _change_url(self, payment: Payment) -> str:
        return reverse("admin:payments_payment_change", args=[payment.pk])

    @staticmethod
    def _next_url(request) -> str | None:
        """Where the button was pressed (the index sends `next`), when it is a page of this site."""
        url = request.POST.get("next") or request.GET.get("next")
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
        return None

    def confirm_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_change(request, pk)
        try:
            subscription = payment_confirm(payment=payment, by=request.user)
        except PaymentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            message = _("Paiement confirmé : abonnement du %(start)s au %(end)s.") % {
                "start": f"{timezone.localtime(subscription.starts_at):%d/%m/%Y}",
                "end": f"{timezone.localtime(subscription.ends_at):%d/%m/%Y}",
            }
            follow_up = self.confirmation_follow_up(request, [payment])
            self.message_user(request, f"{message} {follow_up}".strip(), messages.SUCCESS)
        return HttpResponseRedirect(self._next_url(request) or self._change_url(payment))

    def reject_view(self, request, pk: int):
        payment = self._payment_for_change(request, pk)
        form = RejectionForm(request.POST or None)
        next_url = self._next_url(request)
        if request.method == "POST" and form.is_valid():
            try:
                payment_reject(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
            except PaymentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Paiement rejeté ; le membre a été prévenu par e-mail."), messages.SUCCESS)
            return HttpResponseRedirect(next_url or self._change_url(payment))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rejeter le paiement %(code)s") % {"code": payment.code},
            "opts": self.model._meta,
            "original": payment,
            "payment": payment,
            "amount_money": format_money(payment.amount, payment.currency),
            "form": form,
            "next_url": next_url,
            "cancel_url": next_url or self._change_url(payment),
        }
        return TemplateResponse(request, "admin/payments/payment/reject.html", context)

    def proof_view(self, request, pk: int):
        """The payment's proof, for staff allowed to see payments (the file is in the private storage)."""
        payment = get_object_or_404(Payment, pk=pk)
        if not self.has_view_permission(request, payment):
            raise PermissionDenied
        proof = payment_proof_file(payment=payment)
        if proof is None:
            raise Http404(_("Aucune preuve pour ce paiement."))
        return proof_response(payment=payment, proof=proof)

    def refund_view(self, request, pk: int):
        """Record a refund made outside Stripe (card payments are refunded in Stripe's dashboard; its webhook records
        them): a confirmation page with the amount given back and when access ends (now by default)."""
        payment = self._payment_for_change(request, pk)
        if payment.status != Payment.Status.CONFIRMED:
            self.message_user(request, _("Seul un paiement confirmé peut être remboursé."), messages.ERROR)
            return HttpResponseRedirect(self._change_url(payment))
        form = RefundForm(request.POST or None, payment=payment)
        if request.method == "POST" and form.is_valid():
            try:
                refund, created = payment_refund_record(
                    payment=payment,
                    by=request.user,
                    amount=form.cleaned_data["amount"],
                    access_ends=form.cleaned_data["access_ends"],
                )
            except PaymentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                if created:
                    message = _("Remboursement de %(amount)s enregistré ; l'accès se termine : %(access)s.") % {
                        "amount": format_money(refund.amount, refund.currency),
                        "access": refund.get_access_ends_display().lower(),
                    }
                    self.message_user(request, message, messages.SUCCESS)
                else:
                    self.message_user(request, _("Ce remboursement était déjà enregistré."), messages.WARNING)
            return HttpResponseRedirect(self._change_url(payment))
        subscription = Subscription.objects.filter(payment=payment).first()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rembourser le paiement %(code)s") % {"code": payment.code},
            "opts": self.model._meta,
            "original": payment,
            "payment": payment,
            "subscription": subscription,
            "amount_money": format_money(payment.amount, payment.currency),
            "is_card": payment.method == PaymentKind.CARD,
            "form": form,
            "cancel_url": self._change_url(payment),
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)

    def refund_access_view(self, request, pk: int):
        """The admin chooses again when a refunded payment's access ends (now or at the paid end)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_change(request, pk)
        refund = get_object_or_404(Refund, payment=payment)
        form = RefundAccessForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choisissez quand l'accès se termine."), messages.ERROR)
        else:
            before = refund.access_ends
            refund = refund_access_decide(refund=refund, by=request.user, access_ends=form.cleaned_data["access_ends"])
            if refund.access_ends != before:
                message = _("Fin de l'accès enregistrée : %(access)s.") % {
                    "access": refund.get_access_ends_display().lower()
                }
                self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(payment))


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    """Refunds are records: listed and read here, recorded from the payment's page or by Stripe's webhook."""

    list_display = ("payment", "amount_display", "access_ends", "recorded_by_display", "recorded_at")
    list_filter = ("access_ends",)
    list_select_related = ("payment__user", "payment__plan", "recorded_by")
    search_fields = ("payment__code", "payment__user__email", "external_id")
    date_hierarchy = "recorded_at"
    fields = (
        "payment",
        "amount_display",
        "external_id",
        "access_ends",
        "recorded_by_display",
        "recorded_at",
        "access_decided_by",
        "access_decided_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("montant remboursé"), ordering="amount")
    def amount_display(self, refund: Refund) -> str:
        return format_money(refund.amount, refund.currency)

    @admin.display(description=gettext_lazy("enregistré par"))
    def recorded_by_display(self, refund: Refund) -> str:
        return str(refund.recorded_by) if refund.recorded_by else _("Stripe (webhook)")


class CouponRedemptionInline(ReadOnlyInline):
    model = CouponRedemption
    fields = ("user", "payment", "created_at")
    verbose_name = gettext_lazy("utilisation")
    verbose_name_plural = gettext_lazy("utilisations (paiements annulés ou rejetés exclus)")


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    """Promotion codes and how many times each is used (a use given back by a cancelled or rejected payment no
    longer counts). The code is stored upper-cased (Coupon.clean); a code already used is deactivated, not deleted
    (PROTECT from its payments)."""

    list_display = ("code", "kind", "value_display", "uses_display", "valid_from", "valid_until", "is_active")
    list_filter = ("is_active", "kind")
    search_fields = ("code",)
    filter_horizontal = ("plans",)
    inlines = (CouponRedemptionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(uses=Count("redemptions"))

    @admin.display(description=gettext_lazy("valeur"), ordering="value")
    def value_display(self, coupon: Coupon) -> str:
        if coupon.kind == Coupon.Kind.PERCENT:
            return f"{coupon.value.normalize():f} %"
        return format_money(coupon.value, coupon.currency)

    @admin.display(description=gettext_lazy("utilisations"), ordering="uses")
    def uses_display(self, coupon: Coupon) -> str:
        uses = getattr(coupon, "uses", None)
        if uses is None:
            uses = coupon.redemptions.count()
        return f"{uses} / {coupon.max_uses}" if coupon.max_uses is not None else str(uses)
