from __future__ import annotations

from django.contrib import admin

from ladder.imports.models import ImportBatch, ImportJob


class ImportBatchInline(admin.TabularInline):
    model = ImportBatch
    extra = 0
    readonly_fields = ("number", "first_row", "last_row", "created", "applied_at")
    can_delete = False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "kind", "status", "phase", "rows_total", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("original_name",)
    readonly_fields = ("headers", "sample", "mapping", "counts", "error", "created_by")
    inlines = [ImportBatchInline]
