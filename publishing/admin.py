from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from publishing.models import SignalPost
from publishing.services import signal_post_mark_sent, signal_post_republish, signal_post_retry

State = SignalPost.State


class MarkSentForm(forms.Form):
    message_id = forms.RegexField(
        label=_("Identifiant du message dans le canal"),
        regex=r"^\d{1,20}$",
        max_length=20,
        help_text=_(
            "Telegram : ouvrez le message dans le canal, « Copier le lien » : le nombre à la fin du lien "
            "(t.me/c/…/1234). Discord : clic droit sur le message, « Copier l'identifiant du message » (mode "
            "développeur)."
        ),
        error_messages={"invalid": _("Un identifiant de message est un nombre.")},
    )


@admin.register(SignalPost)
class SignalPostAdmin(admin.ModelAdmin):
    """The signals' messages in the channels. Read-only: they change through the actions (each calls a service)."""

    list_display = ("signal", "event_kind", "platform", "state", "message_id", "attempts", "short_error", "sent_at")
    list_filter = ("state", "platform", "event__kind")
    list_select_related = ("signal", "event")
    search_fields = ("signal__instrument", "message_id", "=signal__id")
    actions = ("retry_now", "mark_sent", "republish")
    readonly_fields = (
        "signal",
        "event",
        "platform",
        "chat_id",
        "message_id",
        "state",
        "attempts",
        "last_error",
        "sent_at",
        "rendered_version",
        "created_at",
        "updated_at",
        "uncertain_actions",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("événement"), ordering="event__kind")
    def event_kind(self, post: SignalPost) -> str:
        suffix = f" {post.event.take_profit_order}" if post.event.take_profit_order else ""
        return f"{post.event.get_kind_display()}{suffix}"

    @admin.display(description=_("dernière erreur"))
    def short_error(self, post: SignalPost) -> str:
        return post.last_error if len(post.last_error) <= 90 else f"{post.last_error[:89]}…"

    @admin.display(description=_("à vérifier"))
    def uncertain_actions(self, post: SignalPost) -> str:
        if post.state != State.UNCERTAIN:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:publishing_signalpost_mark_sent", args=[post.pk]),
            gettext("Marquer comme publié (id du message)"),
        )

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/mark-sent/",
                self.admin_site.admin_view(self.mark_sent_view),
                name="publishing_signalpost_mark_sent",
            )
        ]
        return custom + super().get_urls()

    @admin.action(description=_("Réessayer maintenant"), permissions=["change"])
    def retry_now(self, request, queryset) -> None:
        retried = sum(signal_post_retry(post=post) for post in queryset)
        self.message_user(
            request,
            gettext("%(n)s message(s) remis dans la file d'envoi ; les autres n'avaient rien à réessayer.")
            % {"n": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )

    @admin.action(description=_("Marquer comme publié (id du message)"), permissions=["change"])
    def mark_sent(self, request, queryset):
        posts = list(queryset.filter(state=State.UNCERTAIN)[:2])
        if len(posts) != 1:
            self.message_user(request, gettext("Choisissez un seul message « À vérifier »."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:publishing_signalpost_mark_sent", args=[posts[0].pk]))

    @admin.action(description=_("Republier (le message n'est pas dans le canal)"), permissions=["change"])
    def republish(self, request, queryset) -> None:
        republished = sum(signal_post_republish(post=post) for post in queryset.filter(state=State.UNCERTAIN))
        self.message_user(
            request,
            gettext("%(n)s message(s) à republier ; seuls les messages « À vérifier » le sont.") % {"n": republished},
            messages.SUCCESS if republished else messages.WARNING,
        )

    def mark_sent_view(self, request, pk: int):
        """ "Marquer comme publié": the admin found the message in the channel and gives its id."""
        post = get_object_or_404(SignalPost.objects.select_related("signal", "event"), pk=pk)
        if not self.has_change_permission(request, post):
            raise PermissionDenied
        change_url = reverse("admin:publishing_signalpost_change", args=[post.pk])
        form = MarkSentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if signal_post_mark_sent(post=post, message_id=form.cleaned_data["message_id"]):
                self.log_change(request, post, gettext("Marqué comme publié (message %s).") % post.message_id)
                self.message_user(request, gettext("Message marqué comme publié."), messages.SUCCESS)
            else:
                self.message_user(request, gettext("Ce message n'est plus « À vérifier »."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Marquer comme publié"),
            "opts": self.model._meta,
            "original": post,
            "post": post,
            "form": form,
            "cancel_url": change_url,
        }
        return TemplateResponse(request, "admin/publishing/signalpost/mark_sent.html", context)
