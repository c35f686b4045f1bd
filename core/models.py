from django.db import models


class CronRun(models.Model):
    """Last run of each cron command, so the admin can warn when one is overdue."""

    command = models.CharField("commande", max_length=100, unique=True)
    last_started_at = models.DateTimeField("dernier démarrage", null=True, blank=True)
    last_success_at = models.DateTimeField("dernier succès", null=True, blank=True)
    last_failure_at = models.DateTimeField("dernier échec", null=True, blank=True)
    last_summary = models.JSONField("dernier bilan", default=dict, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)

    class Meta:
        verbose_name = "exécution cron"
        verbose_name_plural = "exécutions cron"

    def __str__(self) -> str:
        return self.command
