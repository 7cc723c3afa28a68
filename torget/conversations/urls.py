from django.urls import path

from torget.conversations import views

app_name = "conversations"
urlpatterns = [
    path("samtaler/<int:pk>/", views.thread_detail, name="thread-detail"),
]
