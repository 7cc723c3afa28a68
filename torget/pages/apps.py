from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "torget.pages"
    label = "pages"

    def ready(self) -> None:
        """Tell conversations where a comment thread under a post is shown, and insights how
        to count posts."""
        from torget.conversations.registry import register_subject
        from torget.insights.registry import register_post_source
        from torget.pages.models import Post
        from torget.pages.mydata import register as register_my_page
        from torget.pages.selectors import post_count_for_metrics, thread_path_on_post

        register_subject(Post, thread_path_on_post)
        register_post_source(post_count_for_metrics)
        register_my_page()
