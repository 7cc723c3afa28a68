from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def form_links_for_page(page: Any) -> list[tuple[str, str]]:
    """The published forms linked to an information page, as (title, address) pairs."""
    from django.urls import reverse

    forms = page.forms.filter(is_published=True).order_by("title", "pk")
    return [(form.title, reverse("cases:form-fill", args=[form.slug])) for form in forms]


class CasesConfig(AppConfig):
    name = "torget.cases"
    label = "cases"

    def ready(self) -> None:
        """Register forms with the site search and as related links under information pages, and
        cases with conversations (where a case thread is shown) and Min side."""
        from torget.cases.mydata import register as register_cases_hooks
        from torget.cases.search import KIND, form_document_by_id, form_documents
        from torget.core.search.registry import register_kind
        from torget.services.registry import register_page_links

        register_kind(
            KIND,
            label=_("Forms"),
            order=15,
            documents=form_documents,
            document=form_document_by_id,
        )
        register_page_links(form_links_for_page)
        register_cases_hooks()
