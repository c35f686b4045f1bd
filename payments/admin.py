"""Admins confirm or reject declared payments here; every action goes through payments.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from payments.models import Payment
from payments.serializers import PAYMENT_FIELDS
from payments.services import PaymentError, payment_confirm, payment_reject


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
        "user",
        "plan",
        "amount",
        "currency",
        "method",
        "reference",
        "status",
        "created_at",
        "confirmed_at",
    )
    list_filter = ("status", "method", "plan")
    search_fields = ("user__email", "reference")
    list_select_related = ("user", "plan")
    date_hierarchy = "created_at"
    actions = ("confirm_selected", "reject_selected")
    change_form_template = "admin/payments/payment/change_form.html"
    fields = ("user", *PAYMENT_FIELDS, "confirmed_by", "rejected_by", "idempotency_key")
    # Status and money change only through the confirm/reject services, never by editing the row.
    readonly_fields = tuple(name for name in fields if name not in ("reference", "note"))

    def get_ordering(self, request):
        return [PENDING_FIRST, "-created_at", "-id"]

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
