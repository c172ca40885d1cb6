"""Django admin for the mailing settings staff rarely change: who mail is from, and templates."""

from django.contrib import admin

from ladder.mailings.models import MailTemplate, SenderIdentity


@admin.register(SenderIdentity)
class SenderIdentityAdmin(admin.ModelAdmin):
    list_display = ("from_name", "from_email", "reply_to", "group", "is_default")
    list_filter = ("is_default", "group")
    search_fields = ("from_name", "from_email")


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "subject", "group", "updated_at")
    list_filter = ("group",)
    search_fields = ("name", "subject", "body")
