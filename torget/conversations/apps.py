from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "torget.conversations"
    label = "conversations"

    def ready(self) -> None:
        """Add the person's questions to Min side and their messages to "my data"."""
        from torget.conversations.mydata import register

        register()
