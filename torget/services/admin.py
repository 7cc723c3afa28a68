"""The IT operator's admin site: life situations are set up here (the pages themselves are
written by the units' staff on the site, where every save is a version and reaches search)."""

from __future__ import annotations

from django.contrib import admin

from torget.services.models import LifeSituation


@admin.register(LifeSituation)
class LifeSituationAdmin(admin.ModelAdmin[LifeSituation]):
    list_display = ["title", "slug", "position", "municipality"]
    list_filter = ["municipality"]
    search_fields = ["title", "intro"]
    ordering = ["municipality", "position", "title"]
