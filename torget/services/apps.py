from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "torget.services"
    label = "services"

    def ready(self) -> None:
        """Tell conversations where a feedback thread about an information page is shown, and
        search how to find information pages (they come first in the results)."""
        from django.utils.translation import gettext_lazy as _

        from torget.conversations.registry import register_subject
        from torget.core.search.registry import register_kind
        from torget.services.models import InfoPage
        from torget.services.search import page_document_by_id, page_documents
        from torget.services.selectors import thread_path_on_page

        register_subject(InfoPage, thread_path_on_page)
        register_kind(
            "page",
            label=_("Information pages"),
            order=10,
            documents=page_documents,
            document=page_document_by_id,
        )
