from django.apps import AppConfig
from django_tasks_db.apps import TasksAppConfig


class CoreConfig(AppConfig):
    default = True  # the app config of "core"; TaskQueueConfig below is named in INSTALLED_APPS on its own
    name = "core"
    verbose_name = "Exploitation"


class TaskQueueConfig(TasksAppConfig):
    """django-tasks-db (the task queue's table and its admin) under a French name in the admin."""

    verbose_name = "File de tâches"
