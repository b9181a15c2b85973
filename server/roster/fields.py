"""The fields of a roster row as organizations keep them, each checked the way the thing
it names is defined: a mainland mobile number, an e-mail address, a resident identity
number with its GB 11643 check digit, a role, a date."""

from __future__ import annotations

import re
from datetime import date, datetime

from protocol.errors import RedhallError

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")  # as accounts made through the API
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
MAX_NAME = 100
MAX_EMAIL = 200
# what organizations write in the role column, and the role it means; administrators
# are not made from a roster
ROLES = {
    "党员": "member", "正式党员": "member", "预备党员": "member", "member": "member",
    "讲解员": "guide", "支部书记": "guide", "guide": "guide",
    "内容编辑": "editor", "编辑": "editor", "editor": "editor",
}
DEFAULT_ROLE = "member"


class Bad(RedhallError):
    """A field's value is not what it must be: ``code`` names the reason (the portal
    words it in the reader's language), the message says it in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def name(value: str) -> str:
    if not value:
        raise Bad("missing_name", "name is missing")
    if len(value) > MAX_NAME:
        raise Bad("long_name", f"name is longer than {MAX_NAME} characters")
    return value


def username(value: str) -> str:
    if not value:
        raise Bad("missing_username", "username is missing")
    if not USERNAME.fullmatch(value):
        raise Bad("bad_username", "username must be 3–64 letters, digits, '.', '_' or '-'")
    return value


def phone(value: str) -> str | None:
    """A mainland mobile number, kept as 11 digits (spaces, dashes and +86 dropped)."""
    if not value:
        return None
    digits = re.sub(r"[\s-]", "", value)
    digits = re.sub(r"^(\+?86)", "", digits)
    if not MOBILE.fullmatch(digits):
        raise Bad("bad_phone", f"phone {value!r} is not an 11-digit mobile number starting 13–19")
    return digits


def email(value: str) -> str | None:
    if not value:
        return None
    if len(value) > MAX_EMAIL or not EMAIL.fullmatch(value):
        raise Bad("bad_email", f"e-mail {value!r} is not an e-mail address")
    return value


def id_number(value: str) -> str | None:
    """An 18-character resident identity number whose check digit (GB 11643) and date
    of birth are right."""
    if not value:
        return None
    number = value.upper()
    if not ID_NUMBER.fullmatch(number):
        raise Bad("bad_id_format", "ID number must be 17 digits and a digit or X")
    total = sum(int(digit) * weight for digit, weight in zip(number, ID_WEIGHTS, strict=False))
    if ID_CHECK[total % 11] != number[17]:
        raise Bad("bad_id_checksum", "ID number's check digit is wrong")
    try:
        born = datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        raise Bad("bad_id_birth", "ID number's date of birth is not a date") from None
    if born.year < 1900 or born > date.today():
        raise Bad("bad_id_birth", "ID number's date of birth is not plausible")
    return number


def role(value: str) -> str:
    if not value:
        return DEFAULT_ROLE
    found = ROLES.get(value.strip().lower())
    if found is None:
        raise Bad("unknown_role", f"role {value!r} is unknown (党员, 预备党员, 讲解员, 内容编辑)")
    return found


def joined(value: str) -> date | None:
    """The date someone joined the party: 2001-07-01, 2001/7/1 or 2001.7.1."""
    if not value:
        return None
    text = value.strip()[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", value) else value.strip()
    parts = re.split(r"[-/.年月日]", text.rstrip("日"))
    try:
        year, month, day = (int(part) for part in parts)
        found = date(year, month, day)
    except ValueError:
        raise Bad("bad_joined", f"date joined {value!r} is not a date (2001-07-01)") from None
    if found.year < 1921 or found > date.today():
        raise Bad("bad_joined", f"date joined {value!r} is not plausible")
    return found
