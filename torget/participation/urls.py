"""The participation app's URLs, one module per part, in one namespace.

Public pages live under /medvirkning/ (processes, hearings, proposals, short views) and
/forum/; staff pages under /ansatt/medvirkning/ and /ansatt/forum/."""

from torget.participation.urls_forums import urlpatterns as forum_urls
from torget.participation.urls_hearing_results import urlpatterns as hearing_result_urls
from torget.participation.urls_hearings import urlpatterns as hearing_urls
from torget.participation.urls_processes import urlpatterns as process_urls
from torget.participation.urls_proposals import urlpatterns as proposal_urls
from torget.participation.urls_shortviews import urlpatterns as shortview_urls

app_name = "participation"
# The process pages come last: their /medvirkning/<slug>/ must not shadow the others.
urlpatterns = [
    *hearing_urls,
    *hearing_result_urls,
    *proposal_urls,
    *shortview_urls,
    *forum_urls,
    *process_urls,
]
