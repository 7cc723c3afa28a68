"""Dates are written by named formats, per language (torget.core.formats)."""

from __future__ import annotations

import datetime
import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

ROOT = Path(__file__).resolve().parents[3]
MOMENT = datetime.datetime(2027, 1, 15, 23, 59)
OURS = [
    "ABBR_DATE_FORMAT",
    "ABBR_DATETIME_FORMAT",
    "DAY_TIME_FORMAT",
    "ABBR_DAY_TIME_FORMAT",
    "SHORT_MONTH_FORMAT",
]
# Formats for machines, not people: ISO 8601, Unix time, a date input's value.
MACHINE = {"c", "U", "Y-m-d"}


def _module(language: str) -> object:
    return importlib.import_module(f"torget.core.formats.{language}.formats")


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_every_language_defines_our_formats(language: str) -> None:
    module = _module(language)
    names = sorted(n for n in vars(module) if n.endswith("_FORMAT"))
    assert names == sorted(n for n in vars(_module("nb")) if n.endswith("_FORMAT"))
    for name in OURS:
        # An undefined name would be printed as it stands: "ABBR_DATE_FORMAT".
        with translation.override(language):
            assert "FORMAT" not in date_format(MOMENT, name)


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        ("nb", "DATE_FORMAT", "15. januar 2027"),
        ("nn", "DATE_FORMAT", "15. januar 2027"),
        ("en", "DATE_FORMAT", "15 January 2027"),
        ("nb", "DATETIME_FORMAT", "15. januar 2027 23:59"),
        ("en", "DATETIME_FORMAT", "15 January 2027 23:59"),
        ("nb", "ABBR_DATE_FORMAT", "15. jan 2027"),
        ("en", "ABBR_DATE_FORMAT", "15 Jan 2027"),
        ("nb", "ABBR_DAY_TIME_FORMAT", "15. jan 23:59"),
        ("en", "DAY_TIME_FORMAT", "15 January 23:59"),
        ("en", "SHORT_DATE_FORMAT", "15/01/2027"),
        ("en", "TIME_FORMAT", "23:59"),
        ("nb", "SHORT_MONTH_FORMAT", "jan"),
        ("en", "SHORT_MONTH_FORMAT", "Jan"),
    ],
)
def test_a_date_reads_as_in_its_language(language: str, name: str, expected: str) -> None:
    with translation.override(language):
        assert date_format(MOMENT, name) == expected
        template = Template("{{ moment|date:name }}")
        rendered = template.render(Context({"moment": MOMENT, "name": name}))
        assert rendered == expected


def _sources(*suffixes: str) -> list[Path]:
    return [
        path
        for suffix in suffixes
        for path in (ROOT / "torget").rglob(f"*{suffix}")
        if "tests" not in path.parts and "formats" not in path.parts
    ]


def test_templates_name_their_date_formats() -> None:
    """A pattern written into a template ("j. F Y") reads wrongly in another language."""
    pattern = re.compile(r"\|date:[\"']([^\"']*)[\"']")
    written = {
        f"{path.relative_to(ROOT)}: {found}"
        for path in _sources(".html", ".txt")
        for found in pattern.findall(path.read_text())
        if found not in MACHINE and not re.fullmatch(r"[A-Z_]+_FORMAT", found)
    }
    assert written == set()


def test_code_names_its_date_formats() -> None:
    pattern = re.compile(r"(?:date|time)_format\([^)]*?,\s*[\"']([^\"']*)[\"']")
    written = {
        f"{path.relative_to(ROOT)}: {found}"
        for path in _sources(".py")
        for found in pattern.findall(path.read_text())
        if not re.fullmatch(r"[A-Z_]+_FORMAT", found)
    }
    assert written == set()
