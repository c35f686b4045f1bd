"""Writes about payments: a member declares, cancels or attaches a proof; an admin confirms or rejects."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from payments.models import (
    Coupon,
    CouponKind,
    CouponRedemption,
    Payment,
    PaymentKind,
    PaymentMethod,
    payment_code_generate,
)
from payments.proofs import MAX_PROOF_BYTES, proof_name_new, proof_storage, proof_type_detect
from payments.signals import payment_cancelled, payment_confirmed, payment_rejected
from payments.tasks import (
    payment_confirmed_email,
    payment_email_enqueue,
    payment_instructions_email,
    payment_rejected_email,
)
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import subscriptions_active_for
from subscriptions.services import MONTHLY_SLUG, plans_create_defaults, subscription_create_for_payment

# A fresh code collides once in ~887 million per existing payment: a few tries are plenty.
CODE_ATTEMPTS = 5


class PaymentNotAllowed(Exception):
    """The member cannot pay yet (incomplete profile): the API answers 403 with `missing_fields`."""

    def __init__(self, missing_fields: list[str]):
        self.missing_fields = missing_fields
        super().__init__(_("Complétez votre profil avant de payer."))


class PaymentError(Exception):
    """A request the payment's data forbids (inactive plan, unknown method, missing reference...): a 400.

    `field` names the input at fault, when there is one (the API answers `{field: [message]}`).
    """

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(message)


class PaymentStateError(PaymentError):
    """What the payment's current state forbids (cancelling a confirmed payment...): the API answers 409."""


class PaymentPendingExists(PaymentStateError):
    """The member already has a payment waiting for an admin: the API answers 409 with it."""

    def __init__(self, payment: Payment):
        self.payment = payment
        super().__init__(
            _(
                "Vous avez déjà un paiement en attente (%(code)s) : attendez sa vérification ou annulez-le avant "
                "d'en déclarer un autre."
            )
            % {"code": payment.code}
        )


class CardNotDeclarable(PaymentError):
    """A card payment is made through the online checkout (billing.checkout), never declared by hand."""

    def __init__(self, *, field: str):
        super().__init__(
            _("Le paiement par carte se fait en ligne : choisissez « Payer par carte » pour être redirigé."),
            field=field,
        )


# Coupons (docs/architecture/payments.md#coupons)

CENT = Decimal("0.01")
MIN_AMOUNT = CENT  # a payment is never free: free access is a trial


def coupon_code_normalize(code: str) -> str:
    return (code or "").strip().upper()


def coupon_discount(*, coupon: Coupon, price: Decimal) -> Decimal:
    """The amount `coupon` takes off `price`: a percentage rounded once to the cent (half up), or the fixed value."""
    if coupon.kind == CouponKind.PERCENT:
        return (Decimal(price) * coupon.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal(coupon.value)


def coupon_apply(*, code: str, user, plan: Plan) -> tuple[Coupon, Decimal]:
    """The coupon named by `code` (any case) and the discount it gives `user` on `plan`, or a French PaymentError on
    `coupon` saying why not: unknown or inactive, not yet valid, expired, not for this plan (nor its currency, nor
    leaving at least 0.01 to pay), no use left, already used by this member.

    Inside the caller's transaction, the member's row locked first: the coupon's row is locked until it commits, so
    two members racing for its last use are served one after the other and the second finds none left (the uses
    are counted under the lock). Record the use with coupon_redeem in the same transaction."""
    coupon = (
        Coupon.objects.select_for_update()
        .annotate(code_upper=Upper("code"))
        .filter(code_upper=coupon_code_normalize(code), is_active=True)
        .first()
    )
    if coupon is None:
        raise PaymentError(_("Code promo invalide."), field="coupon")
    now = clock.now()
    if coupon.valid_from is not None and now < coupon.valid_from:
        raise PaymentError(_("Ce code promo n'est pas encore valable."), field="coupon")
    if coupon.valid_until is not None and now >= coupon.valid_until:
        raise PaymentError(_("Ce code promo a expiré."), field="coupon")
    not_for_plan = PaymentError(_("Ce code promo ne s'applique pas à cette formule."), field="coupon")
    if coupon.plans.exists() and not coupon.plans.filter(pk=plan.pk).exists():
        raise not_for_plan
    if coupon.kind == CouponKind.FIXED and coupon.currency != plan.currency:
        raise not_for_plan
    price = Decimal(str(plan.price))
    discount = coupon_discount(coupon=coupon, price=price)
    if price - discount < MIN_AMOUNT:
        raise not_for_plan
    if CouponRedemption.objects.filter(coupon=coupon, user=user).exists():
        raise PaymentError(_("Vous avez déjà utilisé ce code promo."), field="coupon")
    if coupon.max_uses is not None and CouponRedemption.objects.filter(coupon=coupon).count() >= coupon.max_uses:
        raise PaymentError(_("Ce code promo a atteint son nombre maximal d'utilisations."), field="coupon")
    return coupon, discount


def coupon_redeem(*, coupon: Coupon, payment: Payment) -> CouponRedemption:
    """Record the payment's use of its coupon (same transaction as the payment's creation, after coupon_apply)."""
    return CouponRedemption.objects.create(coupon=coupon, user_id=payment.user_id, payment=payment)


def coupon_release(*, payment: Payment) -> None:
    """A payment that will never be paid (cancelled, rejected, its checkout expired) gives its coupon's use back:
    the member may use the code again, and it counts no more against max_uses. The payment keeps its coupon and
    discount, as every payment keeps what it was."""
    CouponRedemption.objects.filter(payment=payment).delete()


CARD_METHOD_LABEL = "Carte bancaire"


def _method_for_declaration(*, payment_method: PaymentMethod | None, kind: str) -> PaymentMethod:
    """The active method the member pays with: the one chosen, or the only active one of the kind named (the
    `method` of clients written before methods existed). Never the card: the checkout is its only way."""
    if kind == PaymentKind.CARD and (payment_method is None or payment_method.kind == PaymentKind.CARD):
        raise CardNotDeclarable(field="method")
    if payment_method is not None and payment_method.kind == PaymentKind.CARD:
        raise CardNotDeclarable(field="payment_method")
    if payment_method is not None:
        if not payment_method.is_active:
            raise PaymentError(_("Ce moyen de paiement n'est plus proposé."), field="payment_method")
        if kind and kind != payment_method.kind:
            raise PaymentError(_("Ce type ne correspond pas au moyen de paiement choisi."), field="method")
        return payment_method
    if not kind:
        raise PaymentError(_("Choisissez un moyen de paiement."), field="payment_method")
    candidates = list(PaymentMethod.objects.filter(kind=kind, is_active=True)[:2])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        message = _("Plusieurs moyens de paiement de ce type sont proposés : choisissez-en un.")
    else:
        message = _("Ce type de paiement n'est pas proposé : choisissez un moyen de paiement parmi ceux proposés.")
    raise PaymentError(message, field="payment_method")


def _lock_member(user_id: int) -> None:
    User = get_user_model()
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))


def payment_member_lock(*, user) -> None:
    """Lock the member's row until the caller's transaction ends: what serialises a member's payments (declare,
    checkout, confirm, cancel all take it first, so one lock order everywhere)."""
    _lock_member(user.pk)


def payment_allowed_check(*, user, plan: Plan) -> None:
    """Why the member may not start paying for `plan`, raised: an incomplete profile (PaymentNotAllowed) or a plan
    no longer offered (PaymentError)."""
    if not user.can_make_payment:
        raise PaymentNotAllowed(user.missing_profile_fields())
    if not plan.is_active:
        raise PaymentError(_("Cette formule n'est plus proposée."), field="plan")


def _priced(*, user, plan: Plan, coupon_code: str) -> dict:
    """A new payment's price fields: list price, discount, coupon and the amount to pay (list price - discount), all
    from the plan and the coupon, never from the client. The member's row must be locked (coupon_apply)."""
    coupon, discount = None, Decimal("0")
    if coupon_code_normalize(coupon_code):
        coupon, discount = coupon_apply(code=coupon_code, user=user, plan=plan)
    price = Decimal(str(plan.price))  # a plan built in memory may hold a string
    return {"list_price": price, "discount": discount, "coupon": coupon, "amount": price - discount}


def _redeem_if_discounted(payment: Payment) -> None:
    if payment.coupon is not None:
        coupon_redeem(coupon=payment.coupon, payment=payment)


def _payment_insert(**fields) -> Payment:
    """Creates the payment under a fresh code, drawing another one if the code is already taken. Without a list
    price (a payment at the plan's price, a Stripe renewal), the amount is the list price."""
    fields.setdefault("list_price", fields["amount"])
    for _attempt in range(CODE_ATTEMPTS):
        code = payment_code_generate()
        try:
            with transaction.atomic():
                return Payment.objects.create(code=code, **fields)
        except IntegrityError:
            if not Payment.objects.filter(code=code).exists():
                raise  # another constraint: a bug, not bad luck
    raise PaymentError(_("Impossible d'attribuer un code au paiement : réessayez."))


def payment_declare(
    *,
    user,
    plan: Plan,
    payment_method: PaymentMethod | None = None,
    method: str = "",
    reference: str = "",
    note: str = "",
    idempotency_key: str | None = None,
    coupon: str = "",
) -> tuple[Payment, bool]:
    """Record a payment the member says they made or are about to make; returns (payment, created).

    The member chooses an active `payment_method`, or names its kind as `method` when exactly one active method
    has it. Amount and currency come from the plan, never from the client; the server draws the payment's code.
    A crypto payment needs the transaction's hash in `reference`. A member has at most one pending payment: a
    second declaration raises PaymentPendingExists with the first. With an idempotency key, a retry returns the
    first payment. A `coupon` code takes its discount off the plan's price (coupon_apply: refused with a French
    reason on `coupon`), its use recorded with the payment. Declarations of one member are serialised by a lock on
    their row, and the unique constraints (one pending payment per member; (user, idempotency_key)) hold whatever
    happens. The instructions e-mail leaves after commit.
    """
    with transaction.atomic():
        _lock_member(user.pk)
        if idempotency_key:
            existing = Payment.objects.filter(user=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        payment_allowed_check(user=user, plan=plan)
        chosen = _method_for_declaration(payment_method=payment_method, kind=method)
        reference = reference.strip()
        if chosen.kind == PaymentKind.CRYPTO and not reference:
            raise PaymentError(_("Indiquez le hash (identifiant) de la transaction en référence."), field="reference")
        pending = Payment.objects.filter(user=user, status=Payment.Status.PENDING).first()
        if pending is not None:
            raise PaymentPendingExists(pending)
        payment = _payment_insert(
            user=user,
            plan=plan,
            payment_method=chosen,
            method=chosen.kind,
            currency=plan.currency,
            reference=reference,
            note=note,
            idempotency_key=idempotency_key or None,
            **_priced(user=user, plan=plan, coupon_code=coupon),
        )
        _redeem_if_discounted(payment)
        payment_email_enqueue(payment_instructions_email, payment=payment)
    return payment, True


def payment_method_card() -> PaymentMethod:
    """The method card payments are recorded with (kind card, "Carte bancaire"), created on the first checkout.

    It holds no details nor instructions: Stripe's page shows what to pay. It is never offered for a declaration
    (payment_methods_offered leaves card methods out). Two first checkouts at once may create two such rows; both
    are equivalent and the oldest is used."""
    method = PaymentMethod.objects.filter(kind=PaymentKind.CARD, is_active=True).order_by("id").first()
    if method is None:
        method = PaymentMethod.objects.create(kind=PaymentKind.CARD, label=CARD_METHOD_LABEL, details={})
    return method


def payment_card_create(*, user, plan: Plan, coupon_code: str = "") -> Payment:
    """A pending card payment for `plan` (amount and currency from the plan, less the discount of `coupon_code`
    when given: coupon_apply, the use recorded with the payment), paid through Stripe Checkout.

    For billing.checkout, inside its transaction: the caller holds the member's lock (payment_member_lock), has run
    payment_allowed_check and dealt with any pending payment; the one-pending-payment constraint holds anyway. No
    instructions e-mail: the member is sent straight to the payment page."""
    method = payment_method_card()
    payment = _payment_insert(
        user=user,
        plan=plan,
        payment_method=method,
        method=method.kind,
        currency=plan.currency,
        **_priced(user=user, plan=plan, coupon_code=coupon_code),
    )
    _redeem_if_discounted(payment)
    return payment


def _lock_member_and_payment(payment: Payment) -> Payment:
    # Always the member row first, then the payment: one lock order everywhere, so no deadlock, and
    # two confirmations for one member are serialised (each sees the other's subscription).
    User = get_user_model()
    list(User.objects.select_for_update().filter(pk=payment.user_id).values_list("pk", flat=True))
    return Payment.objects.select_for_update(of=("self",)).select_related("plan", "user").get(pk=payment.pk)


@transaction.atomic
def payment_confirm(*, payment: Payment, by, notify: bool = True) -> Subscription:
    """Confirm a payment and create the subscription it pays for, exactly once.

    Idempotent: a confirmed payment returns its subscription (double click, two admins, retry).
    A rejected or cancelled payment cannot be confirmed. In the same transaction: `payment_confirmed` (the
    in-app notice, the channel access task) and the e-mail's task; the worker sends and syncs after the commit.
    """
    payment = _lock_member_and_payment(payment)
    if payment.status in (Payment.Status.CONFIRMED, Payment.Status.REFUNDED):  # confirmed once (then refunded)
        return Subscription.objects.get(payment=payment)
    if payment.status == Payment.Status.REJECTED:
        raise PaymentError(_("Ce paiement a été rejeté : il ne peut pas être confirmé."))
    if payment.status == Payment.Status.CANCELLED:
        raise PaymentError(_("Ce paiement a été annulé par le membre : il ne peut pas être confirmé."))
    return _confirmation_apply(payment, by=by, notify=notify)


def _confirmation_apply(payment: Payment, *, by, notify: bool, paid_from: datetime | None = None) -> Subscription:
    """What confirming does, the member's lock held: the subscription (stacked on the coverage), the status, and in
    this transaction the member's in-app notice and the channel access task (payment_confirmed's receivers in
    notifications and channels_sync) and the e-mail's task."""
    subscription = subscription_create_for_payment(payment=payment, paid_from=paid_from)
    payment.status = Payment.Status.CONFIRMED
    payment.confirmed_at = clock.now()
    payment.confirmed_by = by
    payment.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    payment_confirmed.send(sender=Payment, payment=payment, subscription=subscription)
    if notify:
        payment_email_enqueue(payment_confirmed_email, payment=payment)
    return subscription


@transaction.atomic
def payment_record_confirmed(
    *,
    user,
    plan: Plan,
    payment_method: PaymentMethod,
    amount,
    currency: str,
    reference: str = "",
    note: str = "",
    paid_from: datetime | None = None,
) -> Payment:
    """Record a payment settled elsewhere (a card renewal Stripe charged, billing.renewals), confirmed at once; its
    coverage counts from `paid_from` when given (subscriptions.services.subscription_create_for_payment).

    Written confirmed, never pending: a payment the member declared and an admin has not checked yet (one pending
    payment per member) must not stand in its way. Then exactly what payment_confirm does, under the same member
    lock: the subscription stacked on the coverage, the in-app notice, the channel access and the e-mail."""
    _lock_member(user.pk)
    payment = _payment_insert(
        user=user,
        plan=plan,
        payment_method=payment_method,
        method=payment_method.kind,
        amount=amount,
        currency=currency,
        reference=reference,
        note=note,
        status=Payment.Status.CONFIRMED,
    )
    _confirmation_apply(payment, by=None, notify=True, paid_from=paid_from)
    return payment


@transaction.atomic
def payment_reject(*, payment: Payment, by, reason: str) -> Payment:
    """Reject a pending payment with a reason the member reads in the e-mail.

    Rejecting an already rejected payment changes nothing; a confirmed one cannot be rejected.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Indiquez le motif du rejet."))
    payment = _lock_member_and_payment(payment)
    if payment.status == Payment.Status.REJECTED:
        return payment
    if payment.status == Payment.Status.CONFIRMED:
        raise PaymentError(_("Ce paiement est déjà confirmé : il ne peut pas être rejeté."))
    if payment.status == Payment.Status.REFUNDED:
        raise PaymentError(_("Ce paiement a été remboursé : il ne peut pas être rejeté."))
    if payment.status == Payment.Status.CANCELLED:
        raise PaymentError(_("Ce paiement a été annulé par le membre : il ne peut pas être rejeté."))
    payment.status = Payment.Status.REJECTED
    payment.rejected_at = clock.now()
    payment.rejection_reason = reason
    payment.rejected_by = by
    payment.save(update_fields=["status", "rejected_at", "rejection_reason", "rejected_by"])
    coupon_release(payment=payment)
    payment_rejected.send(sender=Payment, payment=payment)
    payment_email_enqueue(payment_rejected_email, payment=payment)
    return payment


NOT_PENDING = {
    Payment.Status.CONFIRMED: gettext_lazy("Ce paiement est déjà confirmé."),
    Payment.Status.REJECTED: gettext_lazy("Ce paiement a été rejeté."),
    Payment.Status.CANCELLED: gettext_lazy("Ce paiement est déjà annulé."),
    Payment.Status.REFUNDED: gettext_lazy("Ce paiement a été remboursé."),
}


def _refuse_unless_pending(payment: Payment, action: str) -> None:
    if payment.status != Payment.Status.PENDING:
        raise PaymentStateError(f"{NOT_PENDING[Payment.Status(payment.status)]} {action}")


@transaction.atomic
def payment_cancel(*, payment: Payment, by) -> Payment:
    """Cancel a pending payment (the member changed their mind or made a mistake); the row stays, as every payment.

    Only a pending payment can be cancelled; a cancelled one can be neither confirmed nor rejected.
    """
    payment = _lock_member_and_payment(payment)
    _refuse_unless_pending(payment, _("Seul un paiement en attente peut être annulé."))
    payment.status = Payment.Status.CANCELLED
    payment.cancelled_at = clock.now()
    payment.cancelled_by = by
    payment.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    coupon_release(payment=payment)
    # In this transaction: a card payment's Stripe page is closed (billing), so that it can no longer be paid.
    payment_cancelled.send(sender=Payment, payment=payment)
    return payment


def payment_proof_attach(*, payment: Payment, content: bytes) -> Payment:
    """Keep `content` as the payment's proof (PNG, JPEG or PDF, as its bytes say; at most 5 MB).

    Only while the payment is pending; a new proof replaces the previous one, whose file is removed after commit.
    Nothing reaches the disk before the content is checked, and the new file is removed if the database write fails.
    """
    if len(content) > MAX_PROOF_BYTES:
        raise PaymentError(_("Fichier trop volumineux : 5 Mo au maximum."), field="file")
    proof_type = proof_type_detect(content)
    if proof_type is None:
        raise PaymentError(
            _("Fichier refusé : envoyez une image PNG ou JPEG, ou un PDF, lisible et non endommagé."), field="file"
        )
    action = _("La preuve ne peut plus être modifiée.")
    _refuse_unless_pending(payment, action)  # before writing anything; checked again under the lock
    storage = proof_storage()
    name = storage.save(proof_name_new(proof_type), ContentFile(content))
    try:
        with transaction.atomic():
            payment = _lock_member_and_payment(payment)
            _refuse_unless_pending(payment, action)
            previous = payment.proof_name
            payment.proof_name = name
            payment.proof_type = proof_type
            payment.proof_uploaded_at = clock.now()
            payment.save(update_fields=["proof_name", "proof_type", "proof_uploaded_at"])
            if previous:
                transaction.on_commit(lambda: storage.delete(previous))
    except BaseException:
        storage.delete(name)
        raise
    return payment


DEMO_PAYMENT_METHODS = [
    {
        "kind": PaymentKind.BANK_TRANSFER,
        "label": "Virement bancaire (démonstration)",
        "position": 10,
        # The IBAN of French banks' documentation examples (valid checksum) and a BIC of the right shape.
        "details": {
            "iban": "FR7630006000011234567890189",
            "bic": "DEMOFRPPXXX",
            "holder": "CalmnessFi (démonstration)",
            "bank": "Banque de démonstration",
        },
        "instructions": (
            "Faites un virement de {amount} {currency} (formule {plan}) sur le compte indiqué, en écrivant "
            "le code {code} comme motif du virement. Nous confirmons votre paiement dès sa réception.\n"
            "Données de démonstration : n'envoyez pas d'argent sur ce compte."
        ),
    },
    {
        "kind": PaymentKind.CRYPTO,
        "label": "USDT TRC20 (démonstration)",
        "position": 20,
        # Base58Check of 0x41 + b"CalmnessFi demo only": a valid TRON address that no key controls.
        "details": {"network": "TRC20", "address": "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo"},
        "instructions": (
            "Envoyez l'équivalent de {amount} {currency} en USDT sur le réseau TRON (TRC20) à l'adresse "
            "indiquée ; le hash de la transaction est la référence de votre déclaration (code {code}, formule "
            "{plan}).\nDonnées de démonstration : n'envoyez rien à cette adresse."
        ),
    },
]


@transaction.atomic
def payment_methods_seed_demo() -> list[tuple[PaymentMethod, bool]]:
    """Create the demonstration methods (a bank transfer and a USDT TRC20 wallet) if missing; returns (method,
    created) for each. Idempotent: an existing one, found by its label, is left as the admin made it. Their IBAN
    and address are well-formed but nobody's: never for production (the command refuses it)."""
    results = []
    for fields in DEMO_PAYMENT_METHODS:
        method = PaymentMethod.objects.filter(label=fields["label"]).first()
        created = method is None
        if method is None:
            method = PaymentMethod(**fields)
            method.full_clean()  # the same checks as the admin's
            method.save()
        results.append((method, created))
    return results


@transaction.atomic
def payment_seed_for_test_member(*, user) -> Subscription:
    """Give the test member a confirmed monthly payment and its running subscription (idempotent).

    Nothing is created while the member already has an active subscription.
    """
    existing = subscriptions_active_for(user=user).order_by("-ends_at").first()
    if existing is not None:
        return existing
    plans_create_defaults()
    plan = Plan.objects.get(slug=MONTHLY_SLUG)
    _lock_member(user.pk)
    if Payment.objects.filter(user=user, status=Payment.Status.PENDING).exists():
        raise PaymentError(_("Le membre de test a déjà un paiement en attente : confirmez-le ou annulez-le."))
    # Written directly, not declared: no instructions e-mail, and no payment method needs to exist.
    payment = _payment_insert(
        user=user,
        plan=plan,
        payment_method=PaymentMethod.objects.filter(kind=PaymentKind.BANK_TRANSFER, is_active=True).first(),
        method=PaymentKind.BANK_TRANSFER,
        amount=plan.price,
        currency=plan.currency,
        reference="SEED-TEST-MEMBER",
        note="Paiement de démonstration créé par create_test_user.",
    )
    return payment_confirm(payment=payment, by=None, notify=False)
