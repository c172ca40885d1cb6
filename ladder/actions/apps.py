from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "ladder.actions"
    label = "actions"
    verbose_name = "Public actions: petitions, forms, events, donations"
