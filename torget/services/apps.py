from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "torget.services"
    label = "services"

    def ready(self) -> None:
        """Tell conversations where a feedback thread about an information page is shown."""
        from torget.conversations.registry import register_subject
        from torget.services.models import InfoPage
        from torget.services.selectors import thread_path_on_page

        register_subject(InfoPage, thread_path_on_page)
