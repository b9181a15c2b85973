"""E-mail notices through the configured SMTP server (the standard library's client, in a
thread, so a slow server never stalls the event loop)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from server.db.types import utcnow
from server.notify.failure import ChannelError
from server.settings import Settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def _message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = " ".join(mail.subject.split())  # one line, whatever the title held
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(mail.body, charset="utf-8")
    return message


def _send(settings: Settings, mail: Mail) -> None:
    assert settings.smtp_host
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=settings.notify_timeout_seconds) as smtp:
        if settings.smtp_starttls:  # never send the password or the mail in the clear
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(_message(settings, mail))


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Sends ``mail``; ChannelError says why not, without the address or the words."""
    try:
        await asyncio.to_thread(_send, settings, mail)
    except smtplib.SMTPRecipientsRefused:
        raise ChannelError("the SMTP server refused the recipient") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise ChannelError(f"the SMTP server does not support that: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise ChannelError(f"SMTP {exc.smtp_code}") from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"SMTP: {type(exc).__name__}") from None
    except (OSError, ssl.SSLError) as exc:  # refused, unreachable, timed out, bad certificate
        raise ChannelError(f"cannot reach the SMTP server: {type(exc).__name__}") from None
    except ValueError as exc:  # a header the message cannot carry (e.g. a bad address)
        raise ChannelError(f"the message cannot be made: {type(exc).__name__}") from None
