"""The words of credit reports and warnings, in every language the server answers in,
and how a request chooses its language (``?lang=``, then Accept-Language, else zh-CN)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocol.i18n import LANGUAGES, Language, LocalizedText

DEFAULT: Language = "zh-CN"

MESSAGES: dict[str, LocalizedText] = {
    key: LocalizedText.model_validate(value)
    for key, value in {
        # members report
        "col.members.user": {"zh-CN": "用户编号", "zh-TW": "用戶編號", "en": "User"},
        "col.members.username": {"zh-CN": "用户名", "zh-TW": "用戶名", "en": "Username"},
        "col.members.name": {"zh-CN": "姓名", "zh-TW": "姓名", "en": "Name"},
        "col.members.role": {"zh-CN": "角色", "zh-TW": "角色", "en": "Role"},
        "col.members.branch": {"zh-CN": "所在支部", "zh-TW": "所在支部", "en": "Branch"},
        "col.members.hours": {"zh-CN": "已获学时", "zh-TW": "已獲學時", "en": "Hours earned"},
        "col.members.replay_hours": {"zh-CN": "其中回看学时", "zh-TW": "其中回看學時",
                                     "en": "Of which by replays"},
        "col.members.target": {"zh-CN": "年度目标学时", "zh-TW": "年度目標學時",
                               "en": "Yearly target"},
        "col.members.progress": {"zh-CN": "完成比例", "zh-TW": "完成比例", "en": "Progress"},
        "col.members.due_by_now": {"zh-CN": "截至目前应获学时", "zh-TW": "截至目前應獲學時",
                                   "en": "Due by now"},
        "col.members.on_pace": {"zh-CN": "进度达标", "zh-TW": "進度達標", "en": "On pace"},
        "col.members.active": {"zh-CN": "本期参学", "zh-TW": "本期參學",
                               "en": "Took part"},
        # branches report
        "col.branches.branch": {"zh-CN": "支部", "zh-TW": "支部", "en": "Branch"},
        "col.branches.members": {"zh-CN": "人数", "zh-TW": "人數", "en": "Members"},
        "col.branches.active_members": {"zh-CN": "参学人数", "zh-TW": "參學人數",
                                        "en": "Members who took part"},
        "col.branches.participation_rate": {"zh-CN": "参学率", "zh-TW": "參學率",
                                            "en": "Participation rate"},
        "col.branches.hours": {"zh-CN": "学时合计", "zh-TW": "學時合計", "en": "Hours"},
        "col.branches.average_hours": {"zh-CN": "人均学时", "zh-TW": "人均學時",
                                       "en": "Average hours"},
        "col.branches.due_by_now": {"zh-CN": "截至目前人均应获学时",
                                    "zh-TW": "截至目前人均應獲學時",
                                    "en": "Due by now (average)"},
        "col.branches.pace": {"zh-CN": "进度比", "zh-TW": "進度比", "en": "Pace"},
        "col.branches.behind": {"zh-CN": "进度落后人数", "zh-TW": "進度落後人數",
                                "en": "Members behind"},
        "col.branches.warning": {"zh-CN": "预警", "zh-TW": "預警", "en": "Warnings"},
        "col.branches.branch_id": {"zh-CN": "支部编号", "zh-TW": "支部編號",
                                   "en": "Branch id"},
        # exhibits report
        "col.exhibits.exhibit": {"zh-CN": "展览", "zh-TW": "展覽", "en": "Exhibit"},
        "col.exhibits.visitors": {"zh-CN": "参观人数", "zh-TW": "參觀人數",
                                  "en": "Visitors"},
        "col.exhibits.tours": {"zh-CN": "导览场次", "zh-TW": "導覽場次", "en": "Tours"},
        "col.exhibits.replay_viewers": {"zh-CN": "回看人数", "zh-TW": "回看人數",
                                        "en": "Replay viewers"},
        "col.exhibits.awards": {"zh-CN": "授予次数", "zh-TW": "授予次數", "en": "Awards"},
        "col.exhibits.hours": {"zh-CN": "授予学时", "zh-TW": "授予學時", "en": "Hours"},
        # a tour's attendance
        "col.attendance.user": {"zh-CN": "用户编号", "zh-TW": "用戶編號", "en": "User"},
        "col.attendance.username": {"zh-CN": "用户名", "zh-TW": "用戶名", "en": "Username"},
        "col.attendance.name": {"zh-CN": "姓名", "zh-TW": "姓名", "en": "Name"},
        "col.attendance.branch_id": {"zh-CN": "支部编号", "zh-TW": "支部編號",
                                     "en": "Branch id"},
        "col.attendance.branch": {"zh-CN": "所在支部", "zh-TW": "所在支部", "en": "Branch"},
        "col.attendance.registered": {"zh-CN": "已报名", "zh-TW": "已報名",
                                      "en": "Registered"},
        "col.attendance.spans": {"zh-CN": "进出时间", "zh-TW": "進出時間",
                                 "en": "Joined and left"},
        "col.attendance.minutes": {"zh-CN": "在场分钟", "zh-TW": "在場分鐘",
                                   "en": "Minutes present"},
        "col.attendance.quiz_right": {"zh-CN": "答对题数", "zh-TW": "答對題數",
                                      "en": "Quiz answers right"},
        "col.attendance.quiz_asked": {"zh-CN": "提问题数", "zh-TW": "提問題數",
                                      "en": "Quiz items asked"},
        "col.attendance.credit_hours": {"zh-CN": "所获学时", "zh-TW": "所獲學時",
                                        "en": "Credit hours"},
        # sheet titles
        "sheet.attendance": {"zh-CN": "导览出勤", "zh-TW": "導覽出勤", "en": "Attendance"},
        "sheet.members": {"zh-CN": "党员学时", "zh-TW": "黨員學時", "en": "Members"},
        "sheet.branches": {"zh-CN": "支部学时", "zh-TW": "支部學時", "en": "Branches"},
        "sheet.exhibits": {"zh-CN": "展览学时", "zh-TW": "展覽學時", "en": "Exhibits"},
        # values
        "yes": {"zh-CN": "是", "zh-TW": "是", "en": "Yes"},
        "no": {"zh-CN": "否", "zh-TW": "否", "en": "No"},
        "role.member": {"zh-CN": "党员", "zh-TW": "黨員", "en": "member"},
        "role.guide": {"zh-CN": "讲解员", "zh-TW": "講解員", "en": "guide"},
        "role.editor": {"zh-CN": "编辑", "zh-TW": "編輯", "en": "editor"},
        "role.admin": {"zh-CN": "管理员", "zh-TW": "管理員", "en": "admin"},
        "no_branch": {"zh-CN": "（未分配支部）", "zh-TW": "（未分配支部）",
                      "en": "(no branch)"},
        "separator": {"zh-CN": "；", "zh-TW": "；", "en": "; "},
        # warnings
        "warning.behind_pace": {
            "zh-CN": "进度落后：人均 {average:.1f} 学时，截至目前应达 {due:.1f} 学时",
            "zh-TW": "進度落後：人均 {average:.1f} 學時，截至目前應達 {due:.1f} 學時",
            "en": "behind pace: {average:.1f} 学时 a member against {due:.1f} due by now"},
        "warning.low_participation": {
            "zh-CN": "本期仅 {rate:.0%} 的党员参加学习",
            "zh-TW": "本期僅 {rate:.0%} 的黨員參加學習",
            "en": "only {rate:.0%} of members took part in this period"},
    }.items()
}


def text(key: str, language: Language, **values: Any) -> str:
    """The message ``key`` in ``language`` (zh-CN where it has no such version)."""
    return MESSAGES[key].get(language).format(**values)


def language(query: str | None, accept: str | None) -> Language:
    """``?lang=`` when it names a language served here, else the best of Accept-Language
    (``en-US`` reads as ``en``, ``zh-HK``/``zh-Hant`` as ``zh-TW``), else zh-CN."""
    if query:
        found = _match(query.strip())
        if found:
            return found
    choices = []
    for position, part in enumerate((accept or "")[:1000].split(",")[:32]):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
            if not 0 < weight <= 1:  # also NaN
                continue
        found = _match(tag.strip())
        if found:
            choices.append((-weight, position, found))
    return min(choices)[2] if choices else DEFAULT


def requested(query: Mapping[str, str], headers: Mapping[str, str]) -> Language:
    """The language a request asks for: its ``?lang=``, then its Accept-Language."""
    return language(query.get("lang"), headers.get("Accept-Language"))


def _match(tag: str) -> Language | None:
    lowered = tag.lower()
    for known in LANGUAGES:
        if lowered == known.lower():
            return known
    primary = lowered.split("-")[0]
    if primary == "en":
        return "en"
    if primary == "zh":
        return "zh-TW" if any(part in lowered for part in ("-tw", "-hk", "-mo", "hant")) \
            else "zh-CN"
    return None
