from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "ladder.identity"
    label = "identity"
    verbose_name = "Identity: duplicates, merges and their undoing"
