from django.urls import path

from torget.pages import views

app_name = "pages"
urlpatterns = [
    path("innlegg/<int:pk>/", views.post_detail, name="post-detail"),
    path("innlegg/<int:pk>/kommentarer/", views.post_comment, name="post-comment"),
    path("innlegg/<int:pk>/kommentarer/svar/", views.post_reply, name="post-reply"),
    path("innlegg/<int:pk>/kommentarer/offisielt-svar/", views.post_answer, name="post-answer"),
    path(
        "innlegg/<int:pk>/vedlegg/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("enheter/<slug:slug>/innlegg/", views.unit_posts, name="unit-posts"),
    path("enheter/<slug:slug>/folg/", views.unit_follow, name="unit-follow"),
    path("ansatt/innlegg/ny/", views.post_create, name="post-create"),
    path("ansatt/enheter/<slug:slug>/innlegg/ny/", views.unit_post_create, name="unit-post-create"),
    path("ansatt/innlegg/<int:pk>/endre/", views.post_edit, name="post-edit"),
]
