from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "ladder.activity"
    label = "activity"
