from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from ladder.core.models import User


@admin.register(User)
class LadderUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Ladder", {"fields": ("role",)}))
    list_display = ("username", "email", "role", "is_active")
    list_filter = ("role", "is_active")
