"""The engine as a cmi5 assignable unit: launched by an LMS with ``endpoint``, ``fetch``,
``actor``, ``registration`` and ``activityId``, it fetches its token once and reports
initialized … completed, passed or failed … terminated, each with the session id and
the context the LMS left in ``LMS.LaunchData`` (whose launch mode and mastery score it
honours).

Statements go out on a worker thread so the frame task never waits on the network."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from engine.errors import EngineError
from protocol.participation import ParticipationFact

ADL = "http://adlnet.gov/expapi/verbs/"
CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


@dataclass(frozen=True)
class Launch:
    endpoint: str
    fetch: str
    actor: dict[str, Any]
    registration: str
    activity_id: str

    @classmethod
    def from_url(cls, url: str) -> Launch:
        """The launch parameters from the URL the LMS opened the engine with."""
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        missing = [k for k in ("endpoint", "fetch", "actor", "registration", "activityId")
                   if not query.get(k)]
        if missing:
            raise EngineError(f"the cmi5 launch URL lacks {', '.join(missing)}; launch the "
                              "visit from the LMS again")
        try:
            actor = json.loads(query["actor"])
        except ValueError:
            raise EngineError("the cmi5 launch's actor is not JSON") from None
        return cls(query["endpoint"].rstrip("/") + "/", query["fetch"], actor,
                   query["registration"], query["activityId"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    return f"PT{round(max(seconds, 0.0), 2):g}S"


class Cmi5Session:
    """One launched session. Also a fact sink: a completed scene becomes completed and,
    where the scene has a pass mark, passed or failed."""

    def __init__(self, launch: Launch, pass_mark: float | None = None,
                 clock: Any = time.monotonic) -> None:
        self.launch = launch
        self.pass_mark = pass_mark
        self.clock = clock
        self.session_id = str(uuid.uuid4())
        self._token = ""
        self._started = 0.0
        self._outgoing: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._failures: list[str] = []
        self._worker = threading.Thread(target=self._send_all, daemon=True)
        self._moved_on = False
        self.context_template: dict[str, Any] = {}
        self.launch_mode = "Normal"

    def start(self) -> None:
        """Fetches the token (once per launch) and reports initialized."""
        request = urllib.request.Request(self.launch.fetch, data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=15) as reply:
                answer = json.loads(reply.read())
        except (urllib.error.URLError, ValueError) as exc:
            raise EngineError(f"cannot fetch the cmi5 token from {self.launch.fetch}: {exc}") \
                from None
        if "auth-token" not in answer:
            raise EngineError(f"the LMS refused the token: {answer.get('error-text', answer)}")
        self._token = answer["auth-token"]
        self._apply(self._launch_data())
        self._started = self.clock()
        self._worker.start()
        self._queue("initialized")

    def _launch_data(self) -> dict[str, Any]:
        """``LMS.LaunchData`` from the State resource: the context every statement carries,
        the launch mode and the mastery score."""
        query = urlencode({"stateId": "LMS.LaunchData", "activityId": self.launch.activity_id,
                           "agent": json.dumps(self.launch.actor),
                           "registration": self.launch.registration})
        request = urllib.request.Request(
            f"{self.launch.endpoint}activities/state?{query}",
            headers={"Authorization": f"Basic {self._token}",
                     "X-Experience-API-Version": "1.0.3"})
        try:
            with urllib.request.urlopen(request, timeout=15) as reply:
                data = json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            raise EngineError(f"the LMS left no launch data for this launch (HTTP {exc.code});"
                              " launch the visit from the LMS again") from None
        except (urllib.error.URLError, ValueError) as exc:
            raise EngineError(f"cannot read the cmi5 launch data: {exc}") from None
        if not isinstance(data, dict) or "contextTemplate" not in data:
            raise EngineError("the cmi5 launch data has no contextTemplate")
        return data

    def _apply(self, data: dict[str, Any]) -> None:
        self.context_template = data["contextTemplate"]
        self.session_id = self.context_template.get("extensions", {}).get(SESSION_ID,
                                                                          self.session_id)
        self.launch_mode = data.get("launchMode", "Normal")
        if data.get("masteryScore") is not None:
            self.pass_mark = float(data["masteryScore"])

    def emit(self, fact: ParticipationFact) -> None:
        if fact.kind != "scene_completed" or self._moved_on or self.launch_mode != "Normal":
            return  # Browse and Review sessions judge nothing
        self._moved_on = True
        elapsed = _duration(self.clock() - self._started)
        self._queue("completed", {"completion": True, "duration": elapsed}, moveon=True)
        if self.pass_mark is not None:
            passed = fact.quiz_score + 1e-9 >= self.pass_mark
            self._queue("passed" if passed else "failed",
                        {"success": passed, "score": {"scaled": round(fact.quiz_score, 4)},
                         "duration": elapsed}, moveon=True)

    def terminate(self, timeout: float = 15.0) -> list[str]:
        """Reports terminated, waits for everything to be sent; returns failures."""
        self._queue("terminated", {"duration": _duration(self.clock() - self._started)})
        self._outgoing.put(None)
        self._worker.join(timeout)
        return list(self._failures)

    def _queue(self, verb: str, result: dict[str, Any] | None = None,
               moveon: bool = False) -> None:
        categories = [{"id": CATEGORY}] + ([{"id": MOVEON}] if moveon else [])
        context = json.loads(json.dumps(self.context_template))  # the LMS's template, copied
        activities = context.setdefault("contextActivities", {})
        activities["category"] = activities.get("category", []) + categories
        context.setdefault("extensions", {})[SESSION_ID] = self.session_id
        context["registration"] = self.launch.registration
        statement = {
            "id": str(uuid.uuid4()), "actor": self.launch.actor,
            "verb": {"id": ADL + verb, "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": self.launch.activity_id},
            "context": context, "timestamp": _now()}
        if result:
            statement["result"] = result
        self._outgoing.put(statement)

    def _send_all(self) -> None:
        while (statement := self._outgoing.get()) is not None:
            request = urllib.request.Request(
                self.launch.endpoint + "statements", data=json.dumps(statement).encode(),
                method="POST", headers={"Content-Type": "application/json",
                                        "Authorization": f"Basic {self._token}",
                                        "X-Experience-API-Version": "1.0.3"})
            for attempt in range(5):
                try:
                    with urllib.request.urlopen(request, timeout=15):
                        break
                except urllib.error.HTTPError as exc:
                    self._failures.append(f"{statement['verb']['id']}: HTTP {exc.code}")
                    break  # the LRS refused it; sending again would not help
                except urllib.error.URLError as exc:
                    if attempt == 4:
                        self._failures.append(f"{statement['verb']['id']}: {exc.reason}")
                    time.sleep(0.5 * 2 ** attempt)


class Tee:
    """Hands each fact to several sinks (the outbox and a cmi5 session)."""

    def __init__(self, *sinks: Any) -> None:
        self.sinks = sinks

    def emit(self, fact: ParticipationFact) -> None:
        for sink in self.sinks:
            sink.emit(fact)
