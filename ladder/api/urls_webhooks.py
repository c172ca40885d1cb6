"""Staff screens for webhooks, mounted at /api/webhooks/."""

from django.urls import path

from ladder.api.views import webhooks

app_name = "webhooks"
urlpatterns = [
    path("", webhooks.subscription_list, name="list"),
    path("new", webhooks.subscription_new, name="new"),
    path("<int:pk>/", webhooks.subscription_edit, name="edit"),
    path("deliveries/", webhooks.delivery_log, name="log"),
    path("deliveries/<int:pk>/", webhooks.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/replay", webhooks.delivery_replay, name="replay"),
    path("inbound/", webhooks.inbound, name="inbound"),
]
