from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class ClosedSignupAdapter(DefaultAccountAdapter):
    """Staff logins are issued by an admin; the public never signs up for one."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
