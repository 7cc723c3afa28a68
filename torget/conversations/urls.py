from django.urls import path

from torget.conversations import views

app_name = "conversations"
urlpatterns = [
    # residents
    path("samtaler/<int:pk>/", views.thread_detail, name="thread-detail"),
    path("samtaler/meldinger/<int:pk>/meld-fra/", views.message_report, name="message-report"),
    path("samtaler/meldinger/<int:pk>/skjul/", views.message_hide, name="message-hide"),
    path(
        "samtaler/meldinger/<int:pk>/gjenopprett/",
        views.message_restore,
        name="message-restore",
    ),
    # staff
    path("ansatt/innboks/", views.inbox, name="inbox"),
    path("ansatt/innboks/status.json", views.inbox_status, name="inbox-status"),
    path("ansatt/samtaler/<int:pk>/", views.staff_thread, name="staff-thread"),
    path("ansatt/samtaler/<int:pk>/svar/", views.staff_thread_answer, name="staff-thread-answer"),
    path("ansatt/samtaler/<int:pk>/notat/", views.staff_thread_note, name="staff-thread-note"),
    path("ansatt/samtaler/<int:pk>/tildel/", views.staff_thread_assign, name="staff-thread-assign"),
    path(
        "ansatt/samtaler/<int:pk>/trenger-ikke-svar/",
        views.staff_thread_no_answer,
        name="staff-thread-no-answer",
    ),
    path("ansatt/samtaler/<int:pk>/lukk/", views.staff_thread_close, name="staff-thread-close"),
    path(
        "ansatt/samtaler/<int:pk>/gjenapne/", views.staff_thread_reopen, name="staff-thread-reopen"
    ),
    path("ansatt/samtaler/<int:pk>/flytt/", views.staff_thread_move, name="staff-thread-move"),
    # moderators
    path("ansatt/moderering/", views.moderation, name="moderation"),
    path(
        "ansatt/moderering/meldinger/<int:pk>/avvis/",
        views.moderation_dismiss,
        name="moderation-dismiss",
    ),
    path("ansatt/moderering/blokker/", views.user_block, name="user-block"),
    path("ansatt/moderering/blokker/<int:pk>/opphev/", views.user_unblock, name="user-unblock"),
]
