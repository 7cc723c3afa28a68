"""SMS text and phone numbers: how long a text is in SMS segments, how it is cut into parts for
the network, and phone numbers in E.164.

A text goes in the GSM 7-bit default alphabet (3GPP TS 23.038) when every character is in it
(æ ø å Æ Ø Å are); the characters of its extension table (€ [ ] { } ~ ^ | \\ and form feed) take
two septets each, an escape and the character. One other character switches the whole text to
UCS-2, where a character outside the Basic Multilingual Plane (an emoji) is two UTF-16 units.
One SMS holds 160 septets or 70 UCS-2 units; a longer text is sent in parts of 153 septets or 67
units, each behind a 6-octet user data header (UDH) that joins them on the phone again.

The GSM table comes from the `gsm0338` codec. smpplib's own helpers (`smpplib.gsm`) are not
used for counting or cutting because they get the alphabet and the cuts wrong: their table has
"`" where GSM has "§" (so "§" goes UCS-2 and "`" is sent as "§"), they cut between an escape and
its character, and they cut a UCS-2 text inside a surrogate pair (half an emoji per part).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import threading

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# More parts than this make an alert too long to send (and expensive: every part is paid for).
MAX_SEGMENTS = 10

_SINGLE = {GSM7: 160, UCS2: 70}
_PART = {GSM7: 153, UCS2: 67}
_ESCAPE = 0x1B
# SMPP data_coding: 0 is the SMSC's default alphabet (GSM 7-bit), 8 is UCS-2 (ISO/IEC 10646).
DATA_CODING = {GSM7: 0x00, UCS2: 0x08}
# esm_class bit 6: the short message begins with a user data header.
ESM_CLASS_UDHI = 0x40


@dataclasses.dataclass(frozen=True)
class SmsLength:
    """How long a text is as SMS.

    `characters` counts what the network counts: septets for GSM-7 (an extension character is
    two), UTF-16 units for UCS-2 (an emoji is two). `remaining` is what still fits in the
    segments already begun.
    """

    encoding: str
    characters: int
    segments: int
    remaining: int

    @property
    def too_long(self) -> bool:
        return self.segments > MAX_SEGMENTS


@dataclasses.dataclass(frozen=True)
class SmsParts:
    """A text ready for SMPP: the encoding, its data_coding and esm_class, and one
    `short_message` per part (with the UDH in front when there is more than one)."""

    encoding: str
    data_coding: int
    esm_class: int
    parts: list[bytes]


def _gsm_encode(text: str) -> bytes | None:
    """The text as unpacked GSM septets (one per octet, as SMPP carries them), or None when a
    character is not in the GSM alphabet."""
    try:
        return text.encode("gsm03.38")
    except UnicodeEncodeError:
        return None


def _cut_gsm(septets: bytes, size: int) -> list[bytes]:
    """Cut septets into pieces of at most `size`, never between an escape and its character."""
    pieces: list[bytes] = []
    start = 0
    while start < len(septets):
        end = min(start + size, len(septets))
        if end < len(septets):
            # Count the escapes that end the piece: an odd run means the last one is cut off
            # from its character.
            run = 0
            while end - 1 - run >= start and septets[end - 1 - run] == _ESCAPE:
                run += 1
            if run % 2 == 1:
                end -= 1
        pieces.append(septets[start:end])
        start = end
    return pieces


def _cut_ucs2(units: bytes, size: int) -> list[bytes]:
    """Cut UTF-16BE bytes into pieces of at most `size` units, never inside a surrogate pair."""
    pieces: list[bytes] = []
    start = 0
    total = len(units) // 2
    while start < total:
        end = min(start + size, total)
        if end < total and 0xD800 <= int.from_bytes(units[2 * end - 2 : 2 * end]) <= 0xDBFF:
            end -= 1  # the piece would end on a high surrogate: leave it to the next piece
        pieces.append(units[2 * start : 2 * end])
        start = end
    return pieces


@functools.lru_cache(maxsize=128)
def _encode(text: str) -> tuple[str, bytes, tuple[bytes, ...]]:
    """The encoding, the encoded text, and its pieces when it needs more than one SMS.

    Kept for the last texts: an alert sends the same text to every recipient."""
    septets = _gsm_encode(text)
    if septets is not None:
        if len(septets) <= _SINGLE[GSM7]:
            return GSM7, septets, (septets,) if septets else ()
        return GSM7, septets, tuple(_cut_gsm(septets, _PART[GSM7]))
    units = text.encode("utf-16-be")
    if len(units) // 2 <= _SINGLE[UCS2]:
        return UCS2, units, (units,)
    return UCS2, units, tuple(_cut_ucs2(units, _PART[UCS2]))


def sms_length(text: str) -> SmsLength:
    """How `text` counts as SMS: its encoding, length in septets or UCS-2 units, and how many
    segments it takes. An empty text takes none."""
    encoding, encoded, pieces = _encode(text)
    characters = len(encoded) if encoding == GSM7 else len(encoded) // 2
    segments = len(pieces)
    capacity = 0 if segments == 0 else (_SINGLE if segments == 1 else _PART)[encoding] * segments
    return SmsLength(
        encoding=encoding,
        characters=characters,
        segments=segments,
        remaining=max(0, capacity - characters),
    )


_references = itertools.count(1)
_references_lock = threading.Lock()


def _next_reference() -> int:
    """The concatenation reference of the next long message (0-255, in turn per process)."""
    with _references_lock:
        return next(_references) % 256


def sms_parts(text: str) -> SmsParts:
    """Encode `text` for SMPP `submit_sm`: one part, or several each behind a UDH (IEI 0x00,
    an 8-bit reference, the number of parts and the part's number)."""
    encoding, _encoded, pieces = _encode(text)
    if len(pieces) <= 1:
        return SmsParts(encoding, DATA_CODING[encoding], 0, list(pieces) or [b""])
    reference = _next_reference()
    total = len(pieces)
    parts = [
        bytes([0x05, 0x00, 0x03, reference, total, number]) + piece
        for number, piece in enumerate(pieces, start=1)
    ]
    return SmsParts(encoding, DATA_CODING[encoding], ESM_CLASS_UDHI, parts)


def sms_decode(short_message: bytes, *, data_coding: int, udhi: bool = False) -> str:
    """The text of a received short message (an answer from a resident): the UDH dropped when
    `udhi` says there is one; GSM 7-bit (unpacked), Latin-1 or UCS-2 by `data_coding`."""
    if udhi and short_message:
        short_message = short_message[1 + short_message[0] :]
    coding = data_coding & 0x0F if data_coding & 0xF0 == 0xF0 else data_coding
    if coding == 0x08:
        return short_message.decode("utf-16-be", errors="replace")
    if coding == 0x03:
        return short_message.decode("latin-1")
    if coding == 0x01:
        return short_message.decode("ascii", errors="replace")
    return short_message.decode("gsm03.38", errors="replace")


# --- phone numbers --------------------------------------------------------------------------

DEFAULT_REGION = "NO"
# Number types that cannot receive SMS.
_NO_SMS = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.PAGER,
}


def phone_normalise(text: str, *, sms: bool = True) -> str:
    """`text` as an E.164 phone number (+4791234567).

    Accepts a Norwegian number of 8 digits (spaces, dots and dashes allowed) and international
    numbers with + or 00. With `sms` (the default) the number must be able to receive SMS: a
    landline, toll-free or premium-rate number is refused. Raises ValidationError with a
    message fit to show the person who typed it.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _(
                "“%(number)s” is not a phone number. Write a Norwegian number of 8 digits, "
                "or an international number starting with +."
            ),
            code="invalid",
            params={"number": raw},
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(number)s” is not a valid Norwegian or international phone number. Write a "
                "Norwegian number of 8 digits, or an international number starting with +."
            ),
            code="invalid",
            params={"number": raw},
        )
    if sms and phonenumbers.number_type(number) in _NO_SMS:
        raise ValidationError(
            _("“%(number)s” cannot receive SMS. Give a mobile number."),
            code="not_mobile",
            params={"number": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A number as the database keeps it: "+" and 7 to 15 digits.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def phone_for_sending(destination: str) -> str:
    """A delivery's destination, checked before it is sent. A number already in E.164 was
    checked with `phone_normalise` when it was stored (subscription, contact import) and is
    taken as it is: phonenumbers' full check would cost more than the rest of sending, and
    the SMSC or provider still refuses a number that does not exist. Anything else goes
    through `phone_normalise` (and raises ValidationError)."""
    if E164.fullmatch(destination):
        return destination
    return phone_normalise(destination)
