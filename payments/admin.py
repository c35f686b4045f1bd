"""Admins confirm or reject declared payments here; every action goes through payments.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from payments.models import DETAIL_FIELDS, Payment, PaymentKind, PaymentMethod
from payments.proofs import proof_response
from payments.selectors import payment_proof_file
from payments.serializers import PAYMENT_FIELDS
from payments.services import PaymentError, payment_confirm, payment_reject
from payments.validators import PLACEHOLDERS, CryptoNetwork


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


# Pending payments first (they need an admin), then newest first.
PENDING_FIRST = Case(
    When(status=Payment.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
).asc()


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "code",
        "user",
        "plan",
        "amount",
        "currency",
        "payment_method",
        "reference",
        "status",
        "created_at",
        "confirmed_at",
    )
    list_filter = ("status", "payment_method", "method", "plan")
    search_fields = ("code", "user__email", "reference")
    list_select_related = ("user", "plan", "payment_method")
    date_hierarchy = "created_at"
    actions = ("confirm_selected", "reject_selected")
    change_form_template = "admin/payments/payment/change_form.html"
    fields = ("user", *PAYMENT_FIELDS, "proof", "confirmed_by", "rejected_by", "cancelled_by", "idempotency_key")
    # Status and money change only through the confirm/reject services, never by editing the row.
    readonly_fields = tuple(name for name in fields if name not in ("reference", "note"))

    def get_ordering(self, request):
        return [PENDING_FIRST, "-created_at", "-id"]

    @admin.display(description=gettext_lazy("preuve de paiement"))
    def proof(self, payment: Payment):
        if not payment.proof_name:
            return "—"
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

    # -- list actions -------------------------------------------------------------------------

    def _apply_to_each(self, request, payments, act, success) -> None:
        """Runs `act(payment)` on each payment (one transaction each); reports how many changed and each refusal.

        `act` returns whether the payment changed; `success` is an ngettext message taking %(count)d.
        """
        changed, failed = 0, []
        for payment in payments:
            try:
                changed += act(payment)
            except PaymentError as exc:
                failed.append(f"#{payment.pk} : {exc}")
        if changed:
            self.message_user(request, success(changed) % {"count": changed}, messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=gettext_lazy("Confirmer les paiements sélectionnés"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        def confirm(payment) -> bool:
            was_pending = payment.status == Payment.Status.PENDING
            payment_confirm(payment=payment, by=request.user)
            return was_pending

        self._apply_to_each(
            request,
            queryset.order_by("created_at", "id"),
            confirm,
            lambda n: ngettext("%(count)d paiement confirmé.", "%(count)d paiements confirmés.", n),
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

    # -- buttons on the change page -------------------------------------------------------------

    def get_urls(self):
        custom = [
            path("<int:pk>/confirm/", self.admin_site.admin_view(self.confirm_view), name="payments_payment_confirm"),
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view), name="payments_payment_reject"),
            path("<int:pk>/proof/", self.admin_site.admin_view(self.proof_view), name="payments_payment_proof"),
        ]
        return custom + super().get_urls()

    def _payment_for_change(self, request, pk: int) -> Payment:
        payment = get_object_or_404(Payment.objects.select_related("user", "plan"), pk=pk)
        if not self.has_change_permission(request, payment):
            raise PermissionDenied
        return payment

    def _change_url(self, payment: Payment) -> str:
        return reverse("admin:payments_payment_change", args=[payment.pk])

    def confirm_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_change(request, pk)
        try:
            subscription = payment_confirm(payment=payment, by=request.user)
        except PaymentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Paiement confirmé : abonnement du %(start)s au %(end)s.")
                % {
                    "start": f"{timezone.localtime(subscription.starts_at):%d/%m/%Y}",
                    "end": f"{timezone.localtime(subscription.ends_at):%d/%m/%Y}",
                },
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(payment))

    def reject_view(self, request, pk: int):
        payment = self._payment_for_change(request, pk)
        form = RejectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_reject(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
            except PaymentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Paiement rejeté ; le membre a été prévenu par e-mail."), messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(payment))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rejeter le paiement #%(id)s") % {"id": payment.pk},
            "opts": self.model._meta,
            "original": payment,
            "payment": payment,
            "form": form,
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
