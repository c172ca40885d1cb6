from django.urls import path

from ladder.api.views import tokens

app_name = "apitokens"

urlpatterns = [
    path("", tokens.tokens_list, name="list"),
    path("new/", tokens.token_new, name="new"),
    path("partner/", tokens.partner_token_new, name="partner"),
    path("<int:token_id>/revoke/", tokens.token_revoke_view, name="revoke"),
    path("<int:token_id>/reads/", tokens.token_reads, name="reads"),
]
