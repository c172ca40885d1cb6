from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "ladder.mailings"
    label = "mailings"
    verbose_name = "Mailings: compose, target, test, send, track"
