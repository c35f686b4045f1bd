from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Course(models.Model):
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    summary = models.TextField(_("résumé"), blank=True)
    cover = models.URLField(_("image de couverture (URL)"), blank=True)
    is_published = models.BooleanField(_("publiée"), default=False)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    plans = models.ManyToManyField(
        "subscriptions.Plan",
        blank=True,
        related_name="courses",
        verbose_name=_("réservée aux formules"),
        help_text=_("Vide : ouverte à tous les membres."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("formation")
        verbose_name_plural = _("formations")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("formation"))
    order = models.PositiveIntegerField(_("ordre"), default=0)
    title = models.CharField(_("titre"), max_length=200)
    summary = models.TextField(_("résumé"), blank=True)
    body = models.TextField(_("contenu"), blank=True)
    video_url = models.URLField(_("vidéo (URL)"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"), default=0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("leçon")
        verbose_name_plural = _("leçons")
        ordering = ["course", "order", "id"]
        indexes = [models.Index(fields=["course", "order"])]

    def __str__(self) -> str:
        return self.title


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lesson_completions",
        verbose_name=_("membre"),
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions", verbose_name=_("leçon"))
    completed_at = models.DateTimeField(_("terminée le"))

    # Not a column: LessonCompleteApi sets the lesson's course (annotated for the member) for its response.
    course: Course

    class Meta:
        verbose_name = _("leçon terminée")
        verbose_name_plural = _("leçons terminées")
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="formations_one_completion_per_lesson")]

    def __str__(self) -> str:
        return f"{self.user} – {self.lesson}"
