from django.apps import AppConfig


class MemberSpaceConfig(AppConfig):
    name = "member_space"
    verbose_name = "Espace membre"
