from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = "Essais gratuits"

    def ready(self):
        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from trials import privacy
        from trials.models import TrialGrant

        # The member's data (docs/architecture/personal-data.md): their trial is exported; on erasure its address and
        # ids become digests, so deleting the account never buys a second trial.
        export_section_register(name="trials", export=privacy.trials_export, models=(TrialGrant,))
        member_erasing.connect(_erase_member, dispatch_uid="trials.member_erasing")


def _erase_member(sender, *, user, **kwargs) -> None:
    from trials.privacy import member_trial_grants_pseudonymise

    member_trial_grants_pseudonymise(user=user)
