"""Group-chat robots: WeCom (企业微信) and DingTalk (钉钉) custom robots post a markdown
message to the group they belong to.

- WeCom: ``{"msgtype": "markdown", "markdown": {"content": ...}}`` to the webhook.
- DingTalk: ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``; a robot
  whose security setting is 加签 wants ``timestamp`` (ms) and ``sign`` in the query: the
  base64 HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed with the secret, URL-encoded.

Both answer 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a refusal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from server.notify.failure import ChannelError

# the robots' own limits on a markdown message (bytes of UTF-8), kept well within
WECOM_LIMIT = 4096
DINGTALK_LIMIT = 20000


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit - 3].decode("utf-8", "ignore") + "…"


def wecom_body(markdown: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": _cut(markdown, WECOM_LIMIT)}}


def dingtalk_body(title: str, markdown: str) -> dict[str, Any]:
    return {"msgtype": "markdown",
            "markdown": {"title": title, "text": _cut(markdown, DINGTALK_LIMIT)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The signature of ``timestamp_ms`` (base64, before URL-encoding)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_url(webhook: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    """The webhook with ``timestamp`` and ``sign`` added when the robot signs."""
    if not secret:
        return webhook
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    joiner = "&" if "?" in webhook else "?"
    return f"{webhook}{joiner}timestamp={stamp}&sign={quote_plus(dingtalk_sign(secret, stamp))}"


async def post(client: aiohttp.ClientSession, url: str, body: dict[str, Any],
               seconds: float) -> None:
    """Posts ``body`` to a robot; ChannelError unless it answers errcode 0. The error
    never repeats the URL (its query holds the robot's token)."""
    try:
        async with client.post(url, json=body, allow_redirects=False,
                               timeout=aiohttp.ClientTimeout(total=seconds)) as response:
            if response.status != 200:
                raise ChannelError(f"the robot answered HTTP {response.status}")
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                raise ChannelError("the robot's answer is not JSON") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ChannelError(f"cannot reach the robot: {type(exc).__name__}") from None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        message = str(answer.get("errmsg", ""))[:200] if isinstance(answer, dict) else ""
        raise ChannelError(f"the robot refused the message: errcode {code} {message}".strip())
