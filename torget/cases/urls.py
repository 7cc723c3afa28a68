"""The cases app's URLs: forms and drafts (`urls_forms`), cases and their handling
(`urls_cases`), in one namespace."""

from torget.cases.urls_cases import urlpatterns as case_urls
from torget.cases.urls_forms import urlpatterns as form_urls

app_name = "cases"
urlpatterns = [*form_urls, *case_urls]
