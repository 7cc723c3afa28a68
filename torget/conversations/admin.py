"""The IT operator's admin site: canned replies are prepared here until units edit their own."""

from __future__ import annotations

from django.contrib import admin

from torget.conversations.models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin[CannedReply]):
    list_display = ["title", "unit"]
    list_filter = ["unit__municipality", "unit"]
    search_fields = ["title", "body"]
