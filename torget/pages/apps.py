from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "torget.pages"
    label = "pages"

    def ready(self) -> None:
        """Tell conversations where a comment thread under a post is shown, insights how to
        count posts, and search how to find them."""
        from django.utils.translation import gettext_lazy as _

        from torget.conversations.registry import register_subject
        from torget.core.search.registry import register_kind
        from torget.insights.registry import register_post_source
        from torget.pages.models import Post
        from torget.pages.mydata import register as register_my_page
        from torget.pages.search import post_document, post_documents
        from torget.pages.selectors import post_count_for_metrics, thread_path_on_post

        register_subject(Post, thread_path_on_post)
        register_post_source(post_count_for_metrics)
        register_kind(
            "post", label=_("Posts"), order=20, documents=post_documents, document=post_document
        )
        register_my_page()
