from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "ladder.mailings"
    label = "mailings"
    verbose_name = "Mailings: compose, target, test, send, track"

    def ready(self) -> None:
        # Connects the receiver of email services' bounce and complaint webhooks (anymail),
        # whichever module a process happens to import first.
        from ladder.mailings import bounces  # noqa: F401
