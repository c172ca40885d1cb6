from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "ladder.imports"
    label = "imports"
