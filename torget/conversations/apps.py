from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "torget.conversations"
    label = "conversations"
