"""A submission costs a bounded number of queries, however many fields the form has."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from torget.accounts.models import User
from torget.cases.models import Case
from torget.cases.tests.test_formbuilder import form_make, good_answers
from torget.organisation.models import Unit

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_sending_costs_a_bounded_number_of_queries(
    client: Client, resident: User, school: Unit
) -> None:
    form = form_make(school)
    url = reverse("cases:form-fill", args=[form.slug])
    client.force_login(resident)
    page = client.get(url, **EN).text
    key = re.search(r'name="submission_key" value="([^"]+)"', page)
    assert key is not None
    data = {**good_answers(), "submission_key": key.group(1), "send": "1"}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data, **EN)
    assert response.status_code == 303
    assert Case.objects.count() == 1
    assert len(queries) <= 26, len(queries)
