"""The member space pages. Thin: every read is a selector, every write a service, every rule someone else's.

Forms are validated with the API's own serializers, so a page shows the same French messages as the API.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts import privacy as account_privacy
from accounts import services as account_services
from accounts.api import EmailInputSerializer, RegisterView
from accounts.forms import MemberAuthenticationForm
from accounts.models import User
from accounts.selectors import user_payment_eligibility
from accounts.serializers import PROFILE_WRITABLE_FIELDS, ProfileUpdateSerializer
from accounts.throttles import throttle_message
from billing import checkout as card_checkout
from billing.api import CARD_THROTTLE_SCOPE
from billing.client import stripe_enabled
from billing.errors import BillingError
from billing.models import StripeCustomer
from channels_sync import linking as channel_linking
from channels_sync.api import DISCORD_BROWSER_COOKIE, set_discord_browser_cookie
from core.plurals import fr_plural
from core.templatetags.money import format_money
from formations import selectors as formation_selectors
from formations import services as formation_services
from formations.models import Course, Lesson
from formations.policies import course_lock_message
from member_space import channels
from member_space.dashboard import dashboard_for_member
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from notifications.calendar import format_end_date
from payments import services as payment_services
from payments.api import MULTIPART_OVERHEAD_BYTES
from payments.models import DETAIL_FIELDS, Payment, PaymentKind
from payments.proofs import MAX_PROOF_BYTES, proof_response
from payments.selectors import (
    payment_instructions,
    payment_method_details_display,
    payment_methods_offered,
    payment_proof_file,
    payments_for_member,
)
from payments.serializers import PaymentDeclareInputSerializer
from subscriptions.models import Plan
from subscriptions.selectors import plans_offered, plans_offered_with_formations, subscriptions_active_list_for
from subscriptions.serializers import plan_features
from trials import services as trial_services

PAGE_SIZE = 20

# Where a member fixes each missing field named by accounts.User.missing_profile_fields().
MISSING_FIELD_HELP = {
    "first_name": (_lazy("Indiquez votre prénom"), "profile", "#id_first_name"),
    "last_name": (_lazy("Indiquez votre nom"), "profile", "#id_last_name"),
    "email_verified": (_lazy("Confirmez votre adresse e-mail (lien reçu par e-mail)"), "profile", "#verification"),
    "telegram_or_discord": (_lazy("Renseignez Telegram ou Discord"), "profile", "#id_telegram_username"),
}


def _messages(detail) -> list[str]:
    """Every message of a DRF error detail, flattened (list fields nest theirs by index)."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


def _errors(serializer_errors: dict) -> dict[str, list[str]]:
    """DRF's {field: [ErrorDetail]} as plain strings; non-field errors under "form"."""
    return {
        ("form" if field == "non_field_errors" else field): _messages(detail)
        for field, detail in serializer_errors.items()
    }


def _next_or(request, default: str) -> str:
    """The POSTed `next` when it points inside this site, else `default` (no open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- authentication --------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "member_space/login.html"
    authentication_form = MemberAuthenticationForm
    redirect_authenticated_user = True
    next_page = "member_space:dashboard"  # a URL name: Django's resolve_url reads it

    def post(self, request, *args, **kwargs):
        blocked = throttle_message(request=request, scope="login", email=request.POST.get("username", ""))
        if blocked:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, blocked)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        # The page lists the form's non-field errors only: a refused field (a NUL byte, a blank) must be said too.
        for field, field_errors in list(form.errors.items()):
            if field != NON_FIELD_ERRORS:
                for error in field_errors:
                    form.add_error(None, f"{capfirst(form.fields[field].label)} : {error}")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    next_page = "member_space:login"


def register(request):
    if request.user.is_authenticated:
        return redirect("member_space:dashboard")
    data, errors = {}, {}
    if request.method == "POST":
        data = {key: request.POST.get(key, "") for key in ("email", "password", "first_name", "last_name")}
        data["accept_terms"] = request.POST.get("accept_terms") == "on"
        if blocked := throttle_message(request=request, scope="register", email=data["email"]):
            data.pop("password")
            return render(
                request, "member_space/register.html", {"data": data, "errors": {"form": [blocked]}}, status=429
            )
        serializer = RegisterView.InputSerializer(data=data)
        if serializer.is_valid():
            valid = serializer.validated_data
            try:
                account_services.user_register(**valid)
            except account_services.WeakPassword as exc:
                errors = {"password": exc.messages}
            else:
                return render(request, "member_space/register_done.html", {"email": valid["email"]})
        else:
            errors = _errors(serializer.errors)
        data.pop("password", None)
    return render(request, "member_space/register.html", {"data": data, "errors": errors})


def _email_refusal(email: str) -> str | None:
    """Why `email` is no address, in the API's words (EmailInputSerializer), or None: nothing is looked up for it."""
    serializer = EmailInputSerializer(data={"email": email})
    return None if serializer.is_valid() else " ".join(_messages(serializer.errors))


def verify_email(request):
    """The e-mailed link lands here; confirming takes a click (a POST), so link scanners confirm nothing."""
    token = request.POST.get("token") or request.GET.get("token", "")
    if request.method == "POST":
        try:
            account_services.user_verify_email(token=token)
        except account_services.InvalidToken as exc:
            return render(request, "member_space/verify_email.html", {"token": "", "error": str(exc)})
        messages.success(request, _("Votre adresse e-mail est confirmée."))
        return redirect("member_space:dashboard" if request.user.is_authenticated else "member_space:login")
    return render(request, "member_space/verify_email.html", {"token": token})


@require_POST
def resend_verification(request):
    email = request.user.email if request.user.is_authenticated else request.POST.get("email", "")
    if blocked := throttle_message(request=request, scope="resend", email=email):
        messages.error(request, blocked)
        return redirect(_next_or(request, "member_space:login"))
    if refusal := _email_refusal(email):
        messages.error(request, refusal)
        return redirect(_next_or(request, "member_space:login"))
    account_services.user_resend_verification(email=email)
    messages.success(request, _("Si un compte non vérifié correspond, un nouveau lien vient d'être envoyé."))
    return redirect(_next_or(request, "member_space:login"))


def password_reset_request(request):
    if request.method == "POST":
        if blocked := throttle_message(request=request, scope="password_reset", email=request.POST.get("email", "")):
            messages.error(request, blocked)
            return render(request, "member_space/password_reset_request.html", status=429)
        if refusal := _email_refusal(request.POST.get("email", "")):
            messages.error(request, refusal)
            return render(request, "member_space/password_reset_request.html", status=400)
        account_services.user_request_password_reset(email=request.POST.get("email", ""))
        messages.success(request, _("Si un compte correspond à cette adresse, un e-mail vient d'être envoyé."))
        return redirect("member_space:login")
    return render(request, "member_space/password_reset_request.html")


def password_reset_confirm(request):
    token = request.POST.get("token") or request.GET.get("token", "")
    try:
        account_services.user_check_password_reset_token(token=token)
    except account_services.InvalidToken as exc:
        return render(request, "member_space/password_reset_confirm.html", {"token_error": str(exc)})
    errors = {}
    if request.method == "POST" and (blocked := throttle_message(request=request, scope="password_reset")):
        errors["form"] = [blocked]
    elif request.method == "POST":
        password = request.POST.get("new_password", "")
        if password != request.POST.get("new_password2", ""):
            errors["new_password2"] = [_("Les deux mots de passe ne correspondent pas.")]
        else:
            try:
                account_services.user_reset_password(token=token, new_password=password)
            except account_services.InvalidToken as exc:
                return render(request, "member_space/password_reset_confirm.html", {"token_error": str(exc)})
            except account_services.WeakPassword as exc:
                errors["new_password"] = exc.messages
            else:
                messages.success(request, _("Votre mot de passe a été modifié. Vous pouvez vous connecter."))
                return redirect("member_space:login")
    return render(request, "member_space/password_reset_confirm.html", {"token": token, "errors": errors})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the pages link: send them to the SVG icon (a temporary redirect, as the
    static file's hashed name changes with its content)."""
    return redirect(static("favicon.svg"))


# --- member pages ----------------------------------------------------------------------------------------


@login_required
def dashboard(request):
    board = dashboard_for_member(user=request.user)
    return render(request, "member_space/dashboard.html", {"board": board, "nav": "dashboard"})


def _profile_form_data(user: User) -> dict:
    return {field: getattr(user, field) for field in PROFILE_WRITABLE_FIELDS}


@login_required
def profile(request):
    errors = {}
    data = _profile_form_data(request.user)
    if request.method == "POST":
        submitted = {
            field: request.POST.get(field, "")
            for field in PROFILE_WRITABLE_FIELDS
            if field not in ("preferred_markets", "email_reminders")
        }
        submitted["preferred_markets"] = request.POST.getlist("preferred_markets")
        submitted["email_reminders"] = request.POST.get("email_reminders") == "on"
        serializer = ProfileUpdateSerializer(data=submitted)
        if serializer.is_valid():
            account_services.user_update_profile(user=request.user, data=serializer.validated_data)
            messages.success(request, _("Profil enregistré."))
            return redirect("member_space:profile")
        errors = _errors(serializer.errors)
        data = submitted
    return render(
        request,
        "member_space/profile.html",
        {
            "data": data,
            "errors": errors,
            "experience_choices": User.TradingExperience.choices,
            "risk_choices": User.RiskTolerance.choices,
            "market_choices": User.Market.choices,
            "channels": channels.channel_states(user=request.user),
            "eligibility": user_payment_eligibility(user=request.user),
            "nav": "profile",
        },
    )


@require_GET
@login_required
def profile_export(request):
    return account_privacy.member_data_response(user=request.user)


@require_POST
@login_required
def profile_delete(request):
    if blocked := throttle_message(request=request, scope="login", per_member=True):
        messages.error(request, blocked)
        return redirect(reverse("member_space:profile") + "#suppression")
    try:
        account_privacy.member_delete(user=request.user, password=request.POST.get("password", ""))
    except account_privacy.WrongPassword:
        messages.error(request, _("Mot de passe incorrect : votre compte n'a pas été supprimé."))
        return redirect(reverse("member_space:profile") + "#suppression")
    except account_privacy.ErasureRefused as exc:
        messages.error(request, str(exc))
        return redirect(reverse("member_space:profile") + "#suppression")
    auth_logout(request)
    messages.success(request, _("Votre compte a été supprimé, ainsi que vos données personnelles."))
    return redirect("member_space:login")


def terms(request):
    return render(request, "member_space/legal/terms.html", {"version": settings.TERMS_VERSION})


def privacy(request):
    return render(request, "member_space/legal/privacy.html", {"version": settings.PRIVACY_VERSION})


@login_required
def formations(request):
    courses = list(formation_selectors.courses_for_member(user=request.user))
    return render(request, "member_space/formations.html", {"courses": courses, "nav": "formations"})


@login_required
def formation_detail(request, slug: str):
    try:
        course = formation_selectors.course_for_member(user=request.user, slug=slug)
    except Course.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "member_space/formation_detail.html", {"course": course, "nav": "formations"})


@login_required
def lesson_detail(request, slug: str, pk: int):
    try:
        course, lesson = formation_selectors.lesson_for_member(user=request.user, pk=pk)
    except (Lesson.DoesNotExist, Course.DoesNotExist) as exc:
        raise Http404 from exc
    if course.slug != slug:
        raise Http404
    if not course.is_accessible:
        messages.error(request, course_lock_message(course=course))
        return redirect("member_space:formation_detail", slug=course.slug)
    lessons = list(formation_selectors.lessons_with_completion(user=request.user).filter(course=course))
    position = next(index for index, item in enumerate(lessons) if item.pk == lesson.pk)
    return render(
        request,
        "member_space/lesson_detail.html",
        {
            "course": course,
            "lesson": lesson,
            "previous": lessons[position - 1] if position > 0 else None,
            "next": lessons[position + 1] if position + 1 < len(lessons) else None,
            "nav": "formations",
        },
    )


@login_required
@require_POST
def lesson_complete(request, pk: int):
    try:
        completion = formation_services.lesson_complete(user=request.user, lesson_id=pk)
    except (Lesson.DoesNotExist, Course.DoesNotExist) as exc:
        raise Http404 from exc
    except formation_services.CourseLocked as exc:
        messages.error(request, str(exc))
        return redirect("member_space:formations")
    lesson = completion.lesson
    messages.success(request, _("Leçon « %(title)s » terminée.") % {"title": lesson.title})
    return redirect("member_space:lesson_detail", slug=lesson.course.slug, pk=lesson.pk)


def _plan_action(*, plan: Plan, current: Plan | None) -> str:
    """The button's words: a member in force renews or moves to another plan (a new plan starts when the current
    coverage ends, subscriptions.services), everyone else chooses."""
    if current is None:
        return _("Choisir cette formule")
    if plan.pk == current.pk:
        return _("Prolonger avec %(plan)s") % {"plan": plan.name}
    # "à l'Annuel", "au Mensuel": the names are plan names (masculine "le forfait"), elided before a vowel or h.
    elided = plan.name[:1].lower() in "aeiouyhàâäéèêëîïôöùûü"
    return (_("Passer à l'%(plan)s") if elided else _("Passer au %(plan)s")) % {"plan": plan.name}


@login_required
def plans(request):
    current = subscriptions_active_list_for(user=request.user).first()  # the end of the member's paid chain
    payment_url = reverse("member_space:payments")
    offered = list(plans_offered_with_formations())
    # Asked only when a plan offers a trial (two queries): the page's count stays constant either way.
    trial_eligible = any(plan.trial_days for plan in offered) and trial_services.trial_eligible(user=request.user)
    cards = [
        {
            "plan": plan,
            "trial_days": plan.trial_days if trial_eligible else 0,
            "features": plan_features(plan),
            "is_current": current is not None and plan.pk == current.plan_id,
            "action": _plan_action(plan=plan, current=current.plan if current else None),
            "choose_url": f"{payment_url}?{urlencode({'formule': plan.slug})}",
        }
        for plan in offered
    ]
    return render(request, "member_space/plans.html", {"cards": cards, "current": current, "nav": "plans"})


@login_required
@require_POST
def plan_trial_start(request):
    """The "Essayer gratuitement N jours" button of /espace/formules/: the trial, refused as the API refuses it."""
    plan_id = request.POST.get("plan", "")
    is_id = plan_id.isascii() and plan_id.isdigit() and len(plan_id) < 19
    plan = plans_offered().filter(pk=int(plan_id)).first() if is_id else None
    if plan is None:
        messages.error(request, _("Cette formule n'existe pas ou n'est plus proposée : choisissez-en une autre."))
        return redirect("member_space:plans")
    try:
        subscription = trial_services.trial_start(user=request.user, plan=plan)
    except trial_services.TrialNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("member_space:profile")
    except trial_services.TrialError as exc:
        messages.error(request, str(exc))
        return redirect("member_space:plans")
    messages.success(
        request,
        _(
            "Votre essai gratuit de la formule %(plan)s a commencé : il se termine le %(end)s. Vos invitations "
            "Telegram et Discord arrivent dans quelques instants."
        )
        % {"plan": plan.name, "end": format_end_date(subscription.ends_at)},
    )
    return redirect("member_space:dashboard")


# --- payments: the checkout, the pending payment, the history ------------------------------------------

# What the page says when PaymentDeclareInputSerializer refuses a field, by DRF error code ("*": any other code):
# the member reads these sentences, never DRF's own wording ("Ce champ ne peut être nul.").
NUL_REFUSED = _lazy("Le caractère nul n’est pas autorisé.")
CHOOSE_PLAN = _lazy("Choisissez une formule.")
UNKNOWN_PLAN = _lazy("Cette formule n'existe pas ou n'est plus proposée : choisissez-en une autre.")
CHOOSE_METHOD = _lazy("Choisissez un moyen de paiement.")
UNKNOWN_METHOD = _lazy("Ce moyen de paiement n'existe pas ou n'est plus proposé : choisissez-en un autre.")
DECLARE_REFUSALS = {
    "plan": {"required": CHOOSE_PLAN, "null": CHOOSE_PLAN, "*": UNKNOWN_PLAN},
    "payment_method": {"required": CHOOSE_METHOD, "null": CHOOSE_METHOD, "invalid": CHOOSE_METHOD, "*": UNKNOWN_METHOD},
    "method": {"*": UNKNOWN_METHOD},
    "reference": {
        "max_length": _lazy("La référence ne doit pas dépasser %(max)d caractères."),
        "*": _lazy("Cette référence n'est pas valide : recopiez-la depuis votre banque ou votre portefeuille."),
    },
    "note": {
        "max_length": _lazy("La note ne doit pas dépasser %(max)d caractères."),
        "*": _lazy("Cette note n'est pas valide : retapez-la."),
    },
    "coupon": {
        "max_length": _lazy("Le code promo ne doit pas dépasser %(max)d caractères."),
        "*": _lazy("Code promo invalide."),
    },
}
# Where each input's error is shown: the legacy `method` (a kind, still accepted from an old page) is the method choice.
DECLARE_ERROR_PLACE = {"method": "payment_method", "non_field_errors": "form"}
DECLARE_FIELDS = ("plan", "payment_method", "method", "reference", "note", "coupon")
# The details a member types or pastes elsewhere get a copy button (not the bank's name, the network...).
COPYABLE_DETAILS = {"iban", "bic", "address", "number"}
PROOF_MISSING = _lazy("Choisissez un fichier : une capture d'écran ou un reçu du paiement (PNG, JPEG ou PDF).")
PROOF_EMPTY = _lazy("Ce fichier est vide : choisissez-en un autre.")
PROOF_TOO_BIG = _lazy("Fichier trop volumineux : 5 Mo au maximum.")
PROOF_UNREADABLE = _lazy("L'envoi du fichier a échoué : choisissez-le à nouveau et recommencez.")


def _declare_refusals(serializer) -> dict[str, list[str]]:
    """The serializer's errors as the page's French sentences, placed next to the page's fields."""
    errors: dict[str, list[str]] = {}
    for field, details in serializer.errors.items():
        place = DECLARE_ERROR_PLACE.get(field, field)
        for detail in details if isinstance(details, list) else [details]:
            code = getattr(detail, "code", "")
            if code == "null_characters_not_allowed":
                message = str(NUL_REFUSED)
            elif field in DECLARE_REFUSALS:
                refusals = DECLARE_REFUSALS[field]
                message = str(refusals.get(code, refusals["*"]))
                if code == "max_length":
                    message %= {"max": serializer.fields[field].max_length}
            else:
                message = _("Requête invalide : rechargez la page et recommencez.")
            if message not in errors.setdefault(place, []):
                errors[place].append(message)
    return errors


def _declare_input(posted: dict[str, str]) -> dict:
    """The form's text as the API's JSON: ids as integers, empty choices left out (the serializer says they are
    missing)."""
    data: dict = {}
    for field in ("plan", "payment_method"):
        value = posted[field].strip()
        if value:
            data[field] = int(value) if value.isascii() and value.isdigit() and len(value) < 19 else value
    if posted["method"]:
        data["method"] = posted["method"]
    data["reference"], data["note"], data["coupon"] = posted["reference"], posted["note"], posted["coupon"]
    return data


def _detail_rows(method) -> list[dict]:
    """The method's details (IBAN, wallet...) in display order, each marked when a copy button suits it. An IBAN
    reads in groups of four, as printed on a bank statement; its copy is the IBAN without spaces."""
    if method is None:
        return []
    keys = [field.key for field in DETAIL_FIELDS.get(method.kind, ())]
    shown = payment_method_details_display(method=method)  # same order as DETAIL_FIELDS
    return [
        {
            "label": label,
            "value": value,
            "shown": " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if key == "iban" else value,
            "copy": key in COPYABLE_DETAILS,
        }
        for key, (label, value) in zip(keys, shown, strict=True)
        if value
    ]


def _missing_profile_links(eligibility) -> list[dict]:
    return [
        {"label": MISSING_FIELD_HELP[field][0], "url": reverse(f"member_space:{MISSING_FIELD_HELP[field][1]}")
         + MISSING_FIELD_HELP[field][2], "field": field}
        for field in eligibility["missing_fields"]
        if field in MISSING_FIELD_HELP
    ]  # fmt: skip


def _payments_page(request, *, posted=None, errors=None, proof_errors=None, status=200):
    """The payments page: the member's pending payment if there is one, otherwise the checkout (plan from
    `?formule=<slug>` or the posted form, then the methods offered); the history below."""
    user = request.user
    pending = payments_for_member(user=user).filter(status=Payment.Status.PENDING).first()
    eligibility = user_payment_eligibility(user=user)
    context: dict = {
        "page": _page(request, payments_for_member(user=user)),
        "pending": pending,
        "eligibility": eligibility,
        "missing": _missing_profile_links(eligibility),
        "errors": errors or {},
        "proof_errors": proof_errors or [],
        "nav": "payments",
    }
    card = stripe_enabled()
    card_pending = pending is not None and pending.method == PaymentKind.CARD
    context["card"] = card
    # The Stripe portal (card, automatic renewal) exists for members who paid by card once; not offered while a card
    # payment is under way (that payment is what the page is about).
    context["card_portal"] = card and not card_pending and StripeCustomer.objects.filter(user=user).exists()
    if pending is not None:
        if errors:
            # A form posted from a page older than this payment (another tab): its errors matter less than this.
            messages.info(request, _pending_exists_message(pending))
        if card_pending:
            # Back from Stripe's page (its success URL): paid, the webhook confirms it in a moment; the page polls.
            context["card_returned"] = request.GET.get("paiement") == CARD_RETURN_VALUE
            return render(request, "member_space/payments.html", context, status=status)
        context.update(
            {
                "pending_details": _detail_rows(pending.payment_method),
                "pending_instructions": payment_instructions(payment=pending),
                # What a banking app's amount field takes: French decimals, no currency (it is shown beside it).
                "pending_amount_plain": number_format(pending.amount, 2),
            }
        )
        return render(request, "member_space/payments.html", context, status=status)
    posted = posted or {"idempotency_key": uuid.uuid4().hex}
    plans = list(plans_offered())
    formule = "" if posted.get("plan") else request.GET.get("formule", "").strip()
    plan = next(
        (item for item in plans if (str(item.pk) == posted["plan"] if posted.get("plan") else item.slug == formule)),
        None,
    )
    methods = list(payment_methods_offered())
    chosen_method = posted.get("payment_method") or (str(methods[0].pk) if len(methods) == 1 else "")
    context.update(
        {
            "plans": plans,
            "plan": plan if (plan is not None and not (errors or {}).get("plan")) else None,
            # Echoed only when it reads as a name: an address can carry anything (a NUL byte, a page of text).
            "formule": formule if formule.isprintable() and len(formule) <= 50 else "",
            "formule_unknown": bool(formule) and plan is None,
            "method_cards": [
                {"method": method, "details": _detail_rows(method), "checked": str(method.pk) == chosen_method}
                for method in methods
            ],
            "data": posted,
            "crypto": PaymentKind.CRYPTO,
            # Shown above the page when no form is (no method offered, profile incomplete): nothing goes unsaid.
            "unplaced_errors": [
                message for field, field_errors in (errors or {}).items() if field != "form" for message in field_errors
            ],
        }
    )
    return render(request, "member_space/payments.html", context, status=status)


# billing.checkout's success URL ends with ?paiement=retour: the member paid on Stripe's page.
CARD_RETURN_VALUE = card_checkout.SUCCESS_QUERY.partition("=")[2]
CARD_PLAN_MISSING = _lazy("Cette formule n'existe pas ou n'est plus proposée : choisissez-en une autre.")


def _card_payment_just_confirmed(request) -> Payment | None:
    """The member's latest payment when it is a confirmed card payment (the one Stripe sent them back for)."""
    latest = payments_for_member(user=request.user).first()
    if latest is not None and latest.method == PaymentKind.CARD and latest.status == Payment.Status.CONFIRMED:
        return latest
    return None


def _card_confirmed_message(payment: Payment) -> str:
    return _("Paiement par carte confirmé : votre formule %(plan)s est active.") % {"plan": payment.plan.name}


def _pending_exists_message(payment: Payment) -> str:
    return _("Vous avez déjà un paiement en attente (%(code)s) : le voici. Annulez-le pour en déclarer un autre.") % {
        "code": payment.code
    }


def _payment_declared_message(payment: Payment) -> str:
    return _(
        "Paiement de %(amount)s déclaré pour la formule %(plan)s. Indiquez le code %(code)s avec votre paiement : "
        "les instructions vous ont aussi été envoyées par e-mail."
    ) % {"amount": format_money(payment.amount, payment.currency), "plan": payment.plan.name, "code": payment.code}


@login_required
def payments(request):
    if request.method != "POST":
        if request.GET.get("paiement") == CARD_RETURN_VALUE and (confirmed := _card_payment_just_confirmed(request)):
            # Back from Stripe after the webhook already landed: straight to what the polling would have shown.
            messages.success(request, _card_confirmed_message(confirmed))
            return redirect("member_space:dashboard")
        return _payments_page(request)
    posted = {key: request.POST.get(key, "") for key in (*DECLARE_FIELDS, "idempotency_key")}
    if message := throttle_message(request=request, scope="payment_declare", per_member=True):
        return _payments_page(request, posted=posted, errors={"form": [message]}, status=429)
    if "\x00" in posted["idempotency_key"]:
        # The page's own hidden field, tampered with (PostgreSQL text cannot hold a NUL byte): a fresh one.
        posted["idempotency_key"] = uuid.uuid4().hex
        errors = {"form": [_("Requête invalide : rechargez la page et recommencez.")]}
        return _payments_page(request, posted=posted, errors=errors, status=400)
    serializer = PaymentDeclareInputSerializer(data=_declare_input(posted))
    if not serializer.is_valid():
        errors = _declare_refusals(serializer)
    else:
        try:
            payment, _created = payment_services.payment_declare(
                user=request.user, idempotency_key=posted["idempotency_key"][:100] or None, **serializer.validated_data
            )
        except payment_services.PaymentNotAllowed:
            messages.error(request, _("Complétez votre profil avant de payer : il manque les informations ci-dessous."))
            return redirect("member_space:payments")
        except payment_services.PaymentPendingExists as exc:
            # A second declaration (another tab, a stale page): the pending one is what the member needs to see.
            messages.info(request, _pending_exists_message(exc.payment))
            return redirect("member_space:payments")
        except payment_services.PaymentError as exc:
            errors = {DECLARE_ERROR_PLACE.get(exc.field or "", exc.field or "form"): [str(exc)]}
        else:
            messages.success(request, _payment_declared_message(payment))
            return redirect("member_space:payments")
    # A NUL byte is named as such whichever field holds it (an id or a kind would only read as "unknown").
    for field in DECLARE_FIELDS:
        if "\x00" in posted[field]:
            errors[DECLARE_ERROR_PLACE.get(field, field)] = [str(NUL_REFUSED)]
    return _payments_page(request, posted=posted, errors=errors, status=400)


def _see_other(url: str) -> HttpResponseRedirect:
    """303: the browser follows a POST's answer with a GET (Stripe's pages are GET)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@login_required
@require_POST
def card_checkout_start(request):
    """The "Payer par carte" and "Reprendre le paiement par carte" buttons: the member's pending card payment and
    Stripe's page for it (the same page again while its session is open), refused like a declaration."""
    back = reverse("member_space:payments")
    if message := throttle_message(request=request, scope=CARD_THROTTLE_SCOPE, per_member=True):
        messages.error(request, message)
        return redirect(back)
    plan_id = request.POST.get("plan", "")
    is_id = plan_id.isascii() and plan_id.isdigit() and len(plan_id) < 19  # a bigint; anything else names no plan
    plan = plans_offered().filter(pk=int(plan_id)).first() if is_id else None
    if plan is None:
        messages.error(request, str(CARD_PLAN_MISSING))
        return redirect(back)
    try:
        _payment, url, _created = card_checkout.checkout_start(
            user=request.user, plan=plan, coupon_code=request.POST.get("coupon", "")[:40]
        )
    except payment_services.PaymentNotAllowed:
        messages.error(request, _("Complétez votre profil avant de payer : il manque les informations ci-dessous."))
        return redirect(back)
    except payment_services.PaymentPendingExists as exc:
        messages.info(request, _pending_exists_message(exc.payment))
        return redirect(back)
    except payment_services.PaymentError as exc:  # plan no longer offered, Stripe off or not answering
        messages.error(request, str(exc))
        return redirect(f"{back}?{urlencode({'formule': plan.slug})}")
    return _see_other(url)


@login_required
@require_POST
def card_portal(request):
    """The "Gérer ma carte / mon abonnement" button: Stripe's customer portal, which brings the member back to the
    payments page."""
    if message := throttle_message(request=request, scope=CARD_THROTTLE_SCOPE, per_member=True):
        messages.error(request, message)
        return redirect("member_space:payments")
    try:
        url = card_checkout.billing_portal_url(user=request.user, return_url=card_checkout.payments_page_url())
    except BillingError as exc:  # no card payment yet, Stripe off or not answering
        messages.error(request, str(exc))
        return redirect("member_space:payments")
    return _see_other(url)


@never_cache
@login_required
@require_GET
def payment_state(request, pk: int):
    """The state of one of the member's payments, for the payments page's polling while a card payment is being
    confirmed (payments.js): where to go once it is no longer pending (the dashboard with its countdown and access
    when confirmed, this page otherwise)."""
    payment = _own_payment(request, pk)
    pending = payment.status == Payment.Status.PENDING
    done = reverse("member_space:dashboard" if payment.status == Payment.Status.CONFIRMED else "member_space:payments")
    return JsonResponse({"status": payment.status, "next": None if pending else done})


def _own_payment(request, pk: int) -> Payment:
    """One of the member's own payments; another member's is a 404, as a missing one."""
    payment = payments_for_member(user=request.user).filter(pk=pk).first()
    if payment is None:
        raise Http404
    return payment


@login_required
@require_POST
def payment_cancel(request, pk: int):
    payment = _own_payment(request, pk)
    try:
        payment_services.payment_cancel(payment=payment, by=request.user)
    except payment_services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Paiement %(code)s annulé. Vous pouvez en déclarer un nouveau.") % {"code": payment.code}
        )
    return redirect("member_space:payments")


def _request_body_size(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads no body then either


# The CSRF check reads the whole body (request.POST): an oversized upload is refused before it, without reading a
# byte of it; the check then runs as usual (Django's documented pattern for changing how an upload is read).
@csrf_exempt
@login_required
def payment_proof(request, pk: int):
    """GET: the member's own proof, shown inline; POST: attach a proof to their own pending payment."""
    payment = _own_payment(request, pk)
    if request.method == "GET":
        proof = payment_proof_file(payment=payment)
        if proof is None:
            raise Http404
        return proof_response(payment=payment, proof=proof)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if _request_body_size(request) > MAX_PROOF_BYTES + MULTIPART_OVERHEAD_BYTES:
        return _payments_page(request, proof_errors=[str(PROOF_TOO_BIG)], status=400)
    return _payment_proof_upload(request, payment=payment)


@csrf_protect
def _payment_proof_upload(request, *, payment: Payment):
    # Each upload writes up to 5 MB to disk: the API's budget per member (THROTTLE_PAYMENT_PROOF), shared with it.
    # Counted after the CSRF check, so another site cannot spend it for the member.
    if message := throttle_message(request=request, scope="payment_proof", per_member=True):
        return _payments_page(request, proof_errors=[message], status=429)
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError:
        return _payments_page(request, proof_errors=[str(PROOF_UNREADABLE)], status=400)
    if upload is None:
        return _payments_page(request, proof_errors=[str(PROOF_MISSING)], status=400)
    if not upload.size:
        return _payments_page(request, proof_errors=[str(PROOF_EMPTY)], status=400)
    try:
        payment_services.payment_proof_attach(payment=payment, content=upload.read(MAX_PROOF_BYTES + 1))
    except payment_services.PaymentStateError as exc:
        messages.error(request, str(exc))
        return redirect("member_space:payments")
    except payment_services.PaymentError as exc:
        return _payments_page(request, proof_errors=[str(exc)], status=400)
    messages.success(request, _("Preuve reçue : elle accompagne votre paiement %(code)s.") % {"code": payment.code})
    return redirect(reverse("member_space:payments") + "#preuve")


@login_required
def notifications(request):
    return render(
        request,
        "member_space/notifications.html",
        {
            "page": _page(request, notification_selectors.notifications_for_member(user=request.user)),
            "unread": notification_selectors.notifications_unread_count(user=request.user),
            "nav": "notifications",
        },
    )


def _own_notification(request, pk: int):
    notification = request.user.notifications.filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


@login_required
@require_POST
def notification_read(request, pk: int):
    notification_services.notification_mark_read(notification=_own_notification(request, pk))
    return redirect(_next_or(request, "member_space:notifications"))


@login_required
@require_POST
def notification_dismiss(request, pk: int):
    notification_services.notification_dismiss(notification=_own_notification(request, pk))
    return redirect("member_space:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = notification_services.notifications_mark_all_read(user=request.user)
    done = fr_plural(count, _("%(n)d notification marquée comme lue."), _("%(n)d notifications marquées comme lues."))
    messages.success(request, done % {"n": count})
    return redirect("member_space:notifications")


@login_required
@require_POST
def link_telegram(request):
    if not channels.link_available(channels.Platform.TELEGRAM):
        messages.error(request, _("La liaison Telegram n'est pas configurée."))
        return redirect("member_space:profile")
    try:
        link = channel_linking.telegram_link_create(user=request.user)
    except channel_linking.EmailNotVerified as exc:
        messages.error(request, str(exc))
        return redirect("member_space:profile")
    return redirect(link["url"])


@login_required
@require_POST
def link_discord(request):
    if not channels.link_available(channels.Platform.DISCORD):
        messages.error(request, _("La liaison Discord n'est pas configurée."))
        return redirect("member_space:profile")
    try:
        authorization = channel_linking.discord_link_url(
            user=request.user, browser_key=request.COOKIES.get(DISCORD_BROWSER_COOKIE, "")
        )
    except channel_linking.EmailNotVerified as exc:
        messages.error(request, str(exc))
        return redirect("member_space:profile")
    response = redirect(authorization.url)
    set_discord_browser_cookie(response, authorization)
    return response
