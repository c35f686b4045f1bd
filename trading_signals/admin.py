"""The signals in the admin. A new signal is a draft (edited freely); "Publier" (the list's action or the change
page's button) publishes it through trading_signals.services.signal_publish, which posts it to the channels. Once
published, nothing is saved silently: its status and result change only through the change page's small forms
(TP n atteint, stop-loss touché, clôturer à un prix, annuler), each calling its service; its trade (direction,
entry, stop-loss, take-profits) is corrected through "Corriger le signal" (services.signal_correct: one revision
per changed value, shown to members); it cannot be deleted (cancel it instead). The services' French refusals are
shown as the admin's messages or next to the form's fields.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import clock
from core.plurals import fr_plural
from trading_signals import services
from trading_signals.models import Signal, SignalEvent, SignalRevision, TakeProfit
from trading_signals.templatetags.signal_format import r_result

PRICE_PLACES = 6  # as the model stores prices
TRADE_FIELDS = ("direction", "entry_price", "stop_loss")
FOLLOW_UP_FIELDS = ("status", "take_profits_reached", "exit_price", "result_r", "closed_at")
PUBLICATION_FIELDS = ("is_published", "published_at", "version", "corrected_at", "channel_posts_state")


def _price_field(label) -> forms.DecimalField:
    # Localized: an admin may type "1,0830" as well as "1.0830".
    return forms.DecimalField(label=label, max_digits=18, decimal_places=PRICE_PLACES, localize=True)


def _refusals(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# Prices typed the French way ("1,0830") as well as with a point, as in the correction form.
LOCALIZED_PRICES: Mapping[type[models.Field], Mapping[str, Any]] = {models.DecimalField: {"localize": True}}


class TakeProfitInline(admin.TabularInline):
    """Edited with a draft; read-only once published (corrected through "Corriger le signal")."""

    model = TakeProfit
    formfield_overrides = LOCALIZED_PRICES
    extra = 1
    ordering = ("order", "id")

    def _editable(self, obj) -> bool:
        return obj is None or not obj.is_published

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SignalEventInline(_ReadOnlyInline):
    model = SignalEvent
    fields = readonly_fields = ("kind", "take_profit_order", "price", "result_r", "created_by", "created_at")
    ordering = ("created_at", "id")
    verbose_name_plural = _("ce qui est arrivé au signal")


class SignalRevisionInline(_ReadOnlyInline):
    model = SignalRevision
    fields = readonly_fields = ("field", "take_profit_order", "old_value", "new_value", "changed_by", "changed_at")
    ordering = ("changed_at", "id")
    verbose_name_plural = _("corrections (montrées aux membres)")


class SignalCloseForm(forms.Form):
    exit_price = _price_field(_("Prix de sortie"))


class TakeProfitsField(forms.CharField):
    """One price a line, TP1 first (a comma or a point before the decimals)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 20})

    def to_python(self, value) -> list[Decimal]:  # type: ignore[override]
        prices = []
        for line in (value or "").splitlines():
            text = line.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
            if not text:
                continue
            try:
                price = Decimal(text)
            except InvalidOperation:
                raise ValidationError(
                    gettext("« %(value)s » n'est pas un prix.") % {"value": line.strip()}, code="invalid"
                ) from None
            if not price.is_finite() or price.as_tuple().exponent < -PRICE_PLACES:  # type: ignore[operator]
                raise ValidationError(
                    gettext("« %(value)s » n'est pas un prix (6 décimales au plus).") % {"value": line.strip()},
                    code="invalid",
                )
            prices.append(price)
        return prices


class SignalCorrectionForm(forms.Form):
    direction = forms.ChoiceField(label=_("Sens"), choices=Signal.Direction.choices)
    entry_price = _price_field(_("Prix d'entrée"))
    stop_loss = _price_field(_("Stop-loss"))
    take_profits = TakeProfitsField(
        label=_("Take-profits"), help_text=_("Un prix par ligne, TP1 d'abord. Une ligne vidée retire l'objectif.")
    )


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = (
        "instrument",
        "market",
        "direction",
        "status",
        "result",
        "publication",
        "channels",
        "published_at",
        "closed_at",
    )
    list_filter = ("is_published", "market", "status", "direction")
    search_fields = ("instrument", "comment")
    date_hierarchy = "published_at"
    inlines = [TakeProfitInline, SignalEventInline, SignalRevisionInline]
    formfield_overrides = LOCALIZED_PRICES
    actions = ["publish"]
    change_form_template = "admin/trading_signals/signal/change_form.html"

    class Media:
        css = {"all": ("trading_signals/admin.css",)}

    fieldsets = (
        (None, {"fields": ("market", "instrument", *TRADE_FIELDS, "comment")}),
        (_("Suivi"), {"fields": FOLLOW_UP_FIELDS}),
        (_("Publication"), {"fields": PUBLICATION_FIELDS}),
    )

    # --- list --------------------------------------------------------------------------------------------------

    @admin.display(description=_("résultat"), ordering="result_r")
    def result(self, signal: Signal) -> str:
        return r_result(signal.result_r) if signal.result_r is not None else "—"

    @admin.display(description=_("publication"), ordering="is_published")
    def publication(self, signal: Signal) -> str:
        if not signal.is_published:
            return gettext("Brouillon")
        if signal.published_at > clock.now():
            return gettext("Programmé")
        return gettext("Publié") + (gettext(" (modifié)") if signal.corrected_at else "")

    def get_queryset(self, request):
        # The list's "canaux" column reads each signal's channel messages: two queries for the page, not one a row.
        return super().get_queryset(request).prefetch_related("channel_posts__event")

    @admin.display(description=_("canaux"))
    def channels(self, signal: Signal) -> str:
        """Per platform, the state of the signal's original message (its status changes are replies to it)."""
        originals = sorted(
            (post for post in signal.channel_posts.all() if post.event.kind == SignalEvent.Kind.PUBLISHED),
            key=lambda post: post.platform,
        )
        return " · ".join(f"{post.get_platform_display()} : {post.get_state_display()}" for post in originals) or "—"

    @admin.action(description=_("Publier les signaux sélectionnés"), permissions=["change"])
    def publish(self, request, queryset):
        published = 0
        for signal in queryset.order_by("pk"):
            try:
                services.signal_publish(signal_id=signal.pk, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{signal} : {' '.join(_refusals(error))}", messages.ERROR)
            else:
                published += 1
        if published:
            self.message_user(
                request,
                fr_plural(published, gettext("%(n)d signal publié."), gettext("%(n)d signaux publiés."))
                % {"n": published},
                messages.SUCCESS,
            )

    # --- change page -------------------------------------------------------------------------------------------

    def get_readonly_fields(self, request, obj=None):
        readonly = [*FOLLOW_UP_FIELDS, *PUBLICATION_FIELDS]
        if obj is not None and obj.is_published:
            # Market and instrument name the trade; its levels change through "Corriger le signal".
            readonly = ["market", "instrument", *TRADE_FIELDS, *readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        """Saves only what the form edits: the status, the result and the publication belong to the services, which
        change them under the row's lock, and a save of the whole row read at the start of this request would undo
        one that ran in between."""
        if not change:
            return super().save_model(request, obj, form, change)
        concrete = {model_field.name for model_field in Signal._meta.concrete_fields}
        obj.save(update_fields=[name for name in form.fields if name in concrete] + ["updated_at"])

    @admin.display(description=_("messages dans les canaux"))
    def channel_posts_state(self, signal: Signal) -> str:
        """Per platform, the state of each message posted for this signal (publishing.SignalPost rows, read through
        their relation: this app does not import the one above it)."""
        if signal.pk is None:
            return "—"
        posts = sorted(
            signal.channel_posts.select_related("event").all(),
            key=lambda post: (post.platform, post.event.created_at, post.pk),
        )
        if not posts:
            return gettext("Aucun message : le signal n'est pas encore publié.") if not signal.is_published else "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><strong>{}</strong></td><td>{}</td><td>{}</td></tr>",
            (
                (
                    post.get_platform_display(),
                    self._event_label(post.event),
                    post.get_state_display(),
                    post.message_id or "—",
                    post.last_error or "",
                )
                for post in posts
            ),
        )
        return format_html(
            '<table class="signal-posts"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            gettext("Plateforme"),
            gettext("Événement"),
            gettext("État"),
            gettext("Message"),
            gettext("Dernière erreur"),
            rows,
        )

    @staticmethod
    def _event_label(event: SignalEvent) -> str:
        if event.kind == SignalEvent.Kind.TP_REACHED:
            return gettext("TP%(order)s atteint") % {"order": event.take_profit_order}
        return str(event.get_kind_display())

    def has_delete_permission(self, request, obj=None):
        """A published signal is part of the record: cancel it instead."""
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """The list's "delete" action: published signals are listed as protected, so nothing is deleted."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        published = [str(signal) for signal in objs if signal.is_published]
        if published:
            protected = [*protected, *(gettext("%(signal)s (publié : annulez-le)") % {"signal": s} for s in published)]
        return deleted, counts, perms_needed, protected

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("<int:pk>/publier/", view(self.publish_view), name="trading_signals_signal_publish"),
            path("<int:pk>/suivi/", view(self.follow_up_view), name="trading_signals_signal_follow_up"),
            path("<int:pk>/corriger/", view(self.correct_view), name="trading_signals_signal_correct"),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        signal = Signal.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if signal is not None and self.has_change_permission(request, signal):
            context["signal_actions"] = self._actions_for(signal)
        return super().change_view(request, object_id, form_url, context)

    def _actions_for(self, signal: Signal) -> dict:
        """What the change page offers for this signal's state (the services refuse anything else anyway)."""
        take_profits = list(signal.take_profits.order_by("order", "id"))
        next_order = signal.take_profits_reached + 1
        is_open = signal.status == Signal.Status.OPEN
        return {
            "publish_url": reverse("admin:trading_signals_signal_publish", args=[signal.pk]),
            "follow_up_url": reverse("admin:trading_signals_signal_follow_up", args=[signal.pk]),
            "correct_url": reverse("admin:trading_signals_signal_correct", args=[signal.pk]),
            "can_publish": not signal.is_published and is_open,
            "can_follow_up": signal.is_published and is_open,
            "can_correct": signal.is_published and signal.status != Signal.Status.CANCELLED,
            "next_take_profit": next_order if next_order <= len(take_profits) else None,
            "close_form": SignalCloseForm(),
        }

    def _own_change_permission(self, request, pk: int) -> Signal:
        signal = get_object_or_404(Signal, pk=pk)
        if not self.has_change_permission(request, signal):
            raise PermissionDenied
        return signal

    def _back(self, signal: Signal) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:trading_signals_signal_change", args=[signal.pk]))

    def publish_view(self, request, pk: int):
        """ "Publier" on a draft's change page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        signal = self._own_change_permission(request, pk)
        try:
            services.signal_publish(signal_id=signal.pk, by=request.user)
        except ValidationError as error:
            for refusal in _refusals(error):
                self.message_user(request, refusal, messages.ERROR)
        else:
            self.log_change(request, signal, gettext("Publié."))
            self.message_user(request, gettext("Signal publié : il part vers les canaux."), messages.SUCCESS)
        return self._back(signal)

    def follow_up_view(self, request, pk: int):
        """The status forms: `action` is tp (with `order`), sl, close (with `exit_price`) or cancel."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        signal = self._own_change_permission(request, pk)
        action = request.POST.get("action", "")
        try:
            done = self._follow_up(request, signal, action)
        except ValidationError as error:
            for refusal in _refusals(error):
                self.message_user(request, refusal, messages.ERROR)
        else:
            if done:
                self.log_change(request, signal, done)
                self.message_user(request, done, messages.SUCCESS)
        return self._back(signal)

    def _follow_up(self, request, signal: Signal, action: str) -> str:
        by = request.user
        if action == "tp":
            try:
                order = int(request.POST.get("order", ""))
            except ValueError:
                raise ValidationError(gettext("Indiquez le take-profit atteint.")) from None
            services.signal_take_profit_reached(signal_id=signal.pk, order=order, by=by)
            return gettext("TP%(order)s atteint, enregistré.") % {"order": order}
        if action == "sl":
            services.signal_stop_loss_hit(signal_id=signal.pk, by=by)
            return gettext("Stop-loss touché, enregistré.")
        if action == "close":
            form = SignalCloseForm(request.POST)
            if not form.is_valid():
                raise ValidationError([f"{gettext('Prix de sortie')} : {m}" for m in form.errors["exit_price"]])
            services.signal_close(signal_id=signal.pk, exit_price=form.cleaned_data["exit_price"], by=by)
            return gettext("Signal clôturé.")
        if action == "cancel":
            services.signal_cancel(signal_id=signal.pk, by=by)
            return gettext("Signal annulé.")
        raise ValidationError(gettext("Action inconnue."))

    def correct_view(self, request, pk: int):
        """ "Corriger le signal": the trade's levels, saved by services.signal_correct (one revision per value)."""
        signal = self._own_change_permission(request, pk)
        change_url = reverse("admin:trading_signals_signal_change", args=[signal.pk])
        take_profits = [tp.price for tp in signal.take_profits.order_by("order", "id")]
        initial = {
            "direction": signal.direction,
            "entry_price": signal.entry_price.normalize(),
            "stop_loss": signal.stop_loss.normalize(),
            "take_profits": "\n".join(f"{price.normalize():f}" for price in take_profits),
        }
        form = SignalCorrectionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                revisions = services.signal_correct(
                    signal_id=signal.pk,
                    by=request.user,
                    direction=data["direction"],
                    entry_price=data["entry_price"],
                    stop_loss=data["stop_loss"],
                    take_profits=data["take_profits"],
                )
            except ValidationError as error:
                self._add_refusals(form, error)
            else:
                if revisions:
                    summary = "; ".join(
                        f"{revision.get_field_display()}"
                        f"{' ' + str(revision.take_profit_order) if revision.take_profit_order else ''} "
                        f"{revision.old_value or '—'} → {revision.new_value or '—'}"
                        for revision in revisions
                    )
                    self.log_change(request, signal, gettext("Corrigé : %(changes)s") % {"changes": summary})
                    self.message_user(
                        request, gettext("Signal corrigé : %(changes)s.") % {"changes": summary}, messages.SUCCESS
                    )
                else:
                    self.message_user(request, gettext("Rien n'a changé."), messages.INFO)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Corriger le signal %(signal)s") % {"signal": signal.instrument},
            "opts": self.model._meta,
            "original": signal,
            "signal": signal,
            "form": form,
            "cancel_url": change_url,
        }
        return TemplateResponse(request, "admin/trading_signals/signal/correct.html", context)

    @staticmethod
    def _add_refusals(form: forms.Form, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for field, refusals in error.message_dict.items():
            form.add_error(field if field in form.fields else NON_FIELD_ERRORS, refusals)
