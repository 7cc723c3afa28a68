"""Compile the translation catalogues (locale/*/LC_MESSAGES/django.po → .mo) with Babel.

Django's `compilemessages` needs GNU gettext, which a fresh machine may lack; Babel is a pip
package, so `make run` and `make test` compile with it instead.

Beside each django.po may stand an `allauth.po`: our translations of django-allauth's strings
(it ships no Nynorsk). It is merged into the same django.mo, which Django reads before the
catalogues of installed apps. Its entries yield to django.po's where both have one.

    python -m torget.core.i18n compile
    python -m torget.core.i18n check     # exit 1 if any message lacks a translation
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def catalogues() -> list[Path]:
    """Every django.po under locale/."""
    return sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def untranslated(catalog: Catalog) -> list[str]:
    """Message ids with an empty or fuzzy translation."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(str(message.id))
    return missing


def merged(path: Path) -> Catalog:
    """The catalogue at `path` with the translated entries of its sibling allauth.po added."""
    catalog = read(path)
    extra = path.with_name("allauth.po")
    if extra.exists():
        for message in read(extra):
            if message.id and not message.fuzzy and message.string and message.id not in catalog:
                catalog[message.id] = message
    return catalog


def compile_all() -> None:
    for path in catalogues():
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, merged(path), use_fuzzy=False)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        failed = False
        for path in catalogues() + sorted(LOCALE.glob("*/LC_MESSAGES/allauth.po")):
            for msgid in untranslated(read(path)):
                failed = True
                print(f"{path.parent.parent.name}: untranslated: {msgid!r}")
        return 1 if failed else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
