from django.apps import AppConfig


class OrganizingConfig(AppConfig):
    name = "ladder.organizing"
    label = "organizing"
    verbose_name = "Organizing: surveys, call and walk lists, contact policy"
