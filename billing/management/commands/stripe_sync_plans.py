import stripe
from django.core.management.base import BaseCommand, CommandError

from billing.checkout import stripe_price_for
from billing.client import stripe_client, stripe_enabled
from core.plurals import fr_count
from subscriptions.models import Plan


class Command(BaseCommand):
    help = (
        "Crée chez Stripe le prix de chaque formule active (récurrent pour une formule à renouvellement "
        "automatique), s'il n'existe pas encore. Idempotent ; sinon le prix est créé au premier paiement par carte."
    )

    def handle(self, *args, **options):
        if not stripe_enabled():
            raise CommandError("Stripe n'est pas configuré (STRIPE_SECRET_KEY vide) : aucun prix à créer.")
        client = stripe_client()
        created_count = known_count = 0
        for plan in Plan.objects.filter(is_active=True).order_by("duration_days", "id"):
            try:
                price, created = stripe_price_for(plan=plan, client=client)
            except stripe.StripeError as exc:
                raise CommandError(
                    f"Stripe a refusé ou n'a pas répondu pour la formule {plan.name} ({type(exc).__name__}) : "
                    "relancez la commande, les prix déjà créés sont retrouvés."
                ) from exc
            created_count += created
            known_count += not created
            kind = f"tous les {price.interval_days} j" if price.recurring else "paiement unique"
            state = "créé" if created else "déjà présent"
            self.stdout.write(f"Formule {plan.name} ({plan.slug}, {kind}) : prix {price.price_id} {state}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Prix Stripe : {fr_count(created_count, 'créé', 'créés')}, "
                f"{fr_count(known_count, 'déjà présent', 'déjà présents')}."
            )
        )
