from django.apps import AppConfig


class FormationsConfig(AppConfig):
    name = "formations"
    verbose_name = "Formations"

    def ready(self):
        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from formations import privacy
        from formations.models import LessonCompletion

        # The member's data (docs/architecture/personal-data.md): lesson progress, exported; deleted on erasure.
        export_section_register(
            name="lesson_progress", export=privacy.lesson_progress_export, models=(LessonCompletion,)
        )
        member_erasing.connect(_erase_member, dispatch_uid="formations.member_erasing")


def _erase_member(sender, *, user, **kwargs) -> None:
    from formations.privacy import member_lesson_progress_delete

    member_lesson_progress_delete(user=user)
