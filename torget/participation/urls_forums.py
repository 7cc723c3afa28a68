"""URLs of the forums part of participation (included by participation/urls.py).

/forum/folger/ comes before /forum/<slug>/, and "folger" is a reserved forum address name
(services.forums.RESERVED_SLUGS)."""

from django.urls import URLPattern, path

from torget.participation.views import forums as views

urlpatterns: list[URLPattern] = [
    path("forum/", views.forum_list, name="forum-list"),
    path("forum/folger/", views.follow_list, name="forum-follows"),
    path("forum/folger/stopp/<str:token>/", views.unsubscribe, name="forum-unsubscribe"),
    path("forum/<slug:slug>/", views.forum_detail, name="forum-detail"),
    path("forum/<slug:slug>/folg/", views.forum_follow, name="forum-follow"),
    path("forum/<slug:slug>/<int:thread_pk>/", views.topic_detail, name="topic-detail"),
    path("forum/<slug:slug>/<int:thread_pk>/folg/", views.topic_follow, name="topic-follow"),
    path("ansatt/forum/", views.staff_forum_list, name="staff-forum-list"),
    path("ansatt/forum/ny/", views.staff_forum_create, name="staff-forum-create"),
    path("ansatt/forum/<slug:slug>/", views.staff_forum_edit, name="staff-forum-edit"),
]
