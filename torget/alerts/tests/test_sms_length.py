"""SMS length and segments, how a text is cut into parts, phone numbers, and the live counter."""

from __future__ import annotations

import json

import pytest
import smpplib.gsm
from django.core.exceptions import ValidationError
from django.test import Client

from torget.accounts.models import User
from torget.alerts.sms import (
    GSM7,
    MAX_SEGMENTS,
    UCS2,
    phone_for_sending,
    phone_normalise,
    sms_decode,
    sms_length,
    sms_parts,
)

URL = "/ansatt/varsler/sms-lengde/"


# --- counting -------------------------------------------------------------------------------


def test_sms_length_160_gsm_characters_is_one_segment_161_is_two() -> None:
    assert sms_length("a" * 160) == sms_length("a" * 160)
    one = sms_length("a" * 160)
    two = sms_length("a" * 161)
    assert (one.encoding, one.characters, one.segments, one.remaining) == (GSM7, 160, 1, 0)
    assert (two.encoding, two.characters, two.segments) == (GSM7, 161, 2)
    assert two.remaining == 2 * 153 - 161


def test_sms_length_norwegian_letters_stay_in_gsm7() -> None:
    text = "Vannlekkasje i Ærfuglveien. Øvre del stengt, ålesund-røret må byttes. " * 2
    length = sms_length(text)
    assert length.encoding == GSM7
    assert length.characters == len(text)


def test_sms_length_extension_characters_count_two() -> None:
    assert sms_length("€").characters == 2
    assert sms_length("{[~]}|^\\").characters == 16
    assert sms_length("€" * 80).segments == 1
    assert sms_length("€" * 81).segments == 2
    assert sms_length("a" * 159 + "€").segments == 2


def test_sms_length_section_sign_is_gsm_but_backtick_is_not() -> None:
    # smpplib's table has these two the wrong way round.
    assert sms_length("§ 12").encoding == GSM7
    assert sms_length("`").encoding == UCS2


def test_sms_length_an_emoji_switches_to_ucs2_and_counts_two_units() -> None:
    length = sms_length("Vann tilbake 😀")
    assert length.encoding == UCS2
    assert length.characters == 15  # 13 letters and spaces + a surrogate pair
    assert sms_length("ж" * 70).segments == 1
    assert sms_length("ж" * 71).segments == 2
    assert sms_length("😀" * 35).segments == 1
    assert sms_length("😀" * 36).segments == 2


def test_sms_length_empty_text_takes_no_segment() -> None:
    assert sms_length("").segments == 0
    assert not sms_length("").too_long


def test_sms_length_too_long_past_ten_segments() -> None:
    assert not sms_length("a" * 153 * MAX_SEGMENTS).too_long
    assert sms_length("a" * (153 * MAX_SEGMENTS + 1)).too_long
    assert sms_length("😀" * (67 * MAX_SEGMENTS // 2 + 1)).too_long


# --- cutting into parts ---------------------------------------------------------------------


def test_sms_parts_short_text_is_one_part_without_header() -> None:
    parts = sms_parts("Hei på deg")
    assert parts.parts == ["Hei på deg".encode("gsm03.38")]
    assert (parts.data_coding, parts.esm_class) == (0, 0)


def test_sms_parts_long_text_gets_udh_with_reference_count_and_number() -> None:
    text = "x" * 400
    parts = sms_parts(text)
    assert parts.esm_class == 0x40
    assert len(parts.parts) == 3
    references = {part[3] for part in parts.parts}
    assert len(references) == 1
    for number, part in enumerate(parts.parts, start=1):
        assert part[:3] == b"\x05\x00\x03"
        assert part[4:6] == bytes([3, number])
    assert b"".join(part[6:] for part in parts.parts).decode("gsm03.38") == text
    assert max(len(part) for part in parts.parts) == 6 + 153


def test_sms_parts_never_cuts_an_escape_from_its_character() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = sms_parts(text)
    first = parts.parts[0][6:]
    assert first == b"a" * 152  # the € moved whole to the next part
    assert parts.parts[1][6:].decode("gsm03.38") == "€" + "b" * 10
    # smpplib's own splitter cuts it: the first part ends with a lone escape.
    smpplib_parts, _coding, _esm = smpplib.gsm.make_parts(text)
    assert smpplib_parts[0].endswith(b"\x1b")


def test_sms_parts_never_cuts_an_emoji_in_half() -> None:
    text = "x" + "😀" * 40
    parts = sms_parts(text)
    assert parts.data_coding == 8
    decoded = [part[6:].decode("utf-16-be") for part in parts.parts]  # raises on half a pair
    assert "".join(decoded) == text


def test_sms_decode_reads_gsm_ucs2_and_skips_the_udh() -> None:
    assert sms_decode("Takk, æøå €".encode("gsm03.38"), data_coding=0) == "Takk, æøå €"
    assert sms_decode("Takk 😀".encode("utf-16-be"), data_coding=8) == "Takk 😀"
    udh = b"\x05\x00\x03\x07\x02\x01"
    assert sms_decode(udh + b"STOP", data_coding=0, udhi=True) == "STOP"


# --- phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("91234567", "+4791234567"),
        ("912 34 567", "+4791234567"),
        ("+47 912 34 567", "+4791234567"),
        ("0047 41234567", "+4741234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_normalise_gives_e164(typed: str, e164: str) -> None:
    assert phone_normalise(typed) == e164


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "required"),
        ("hello", "invalid"),
        ("1234", "invalid"),
        ("9123456", "invalid"),
        ("+47 1234 5678", "invalid"),
        ("22 00 00 00", "not_mobile"),  # an Oslo landline
        ("800 12 345", "not_mobile"),  # toll-free
    ],
)
def test_phone_normalise_refuses_with_a_clear_message(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        phone_normalise(typed)
    assert caught.value.code == code
    assert caught.value.messages[0]
    if typed:
        assert typed in caught.value.messages[0]


def test_phone_for_sending_takes_e164_as_stored_and_checks_anything_else() -> None:
    assert phone_for_sending("+4791234567") == "+4791234567"
    assert phone_for_sending("912 34 567") == "+4791234567"
    with pytest.raises(ValidationError):
        phone_for_sending("22 00 00 00")
    with pytest.raises(ValidationError):
        phone_for_sending("+47 912")


def test_phone_normalise_accepts_a_landline_when_not_for_sms() -> None:
    assert phone_normalise("22 00 00 00", sms=False) == "+4722000000"


# --- the live counter -----------------------------------------------------------------------


def test_sms_length_view_counts_for_staff(client: Client, communicator: User) -> None:
    client.force_login(communicator)
    response = client.post(URL, {"text": "€" * 81})
    assert response.status_code == 200
    assert response.json() == {
        "encoding": "GSM-7",
        "characters": 162,
        "segments": 2,
        "remaining": 144,
        "max_segments": 10,
        "too_long": False,
    }


def test_sms_length_view_takes_json_and_says_too_long(client: Client, communicator: User) -> None:
    client.force_login(communicator)
    response = client.post(URL, json.dumps({"text": "😀" * 400}), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["encoding"] == "UCS-2"
    assert body["characters"] == 800
    assert body["too_long"] is True


def test_sms_length_view_refuses_residents_and_anonymous(
    client: Client, municipality: object, resident: User
) -> None:
    assert client.post(URL, {"text": "hei"}).status_code == 403
    client.force_login(resident)
    assert client.post(URL, {"text": "hei"}).status_code == 403


def test_sms_length_view_rejects_get_and_missing_text(client: Client, communicator: User) -> None:
    client.force_login(communicator)
    assert client.get(URL).status_code == 405
    assert client.post(URL, {}).status_code == 400
