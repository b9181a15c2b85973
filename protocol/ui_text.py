"""Strings the engine shows around the content; their glyphs go into every font subset."""

from __future__ import annotations

from protocol.i18n import LocalizedText

UI_TEXT: dict[str, LocalizedText] = {
    key: LocalizedText.model_validate(value)
    for key, value in {
        "correct": {"zh-CN": "回答正确", "zh-TW": "回答正確", "en": "Correct"},
        "wrong": {"zh-CN": "回答错误", "zh-TW": "回答錯誤", "en": "Wrong"},
        "progress": {"zh-CN": "学习进度", "zh-TW": "學習進度", "en": "Progress"},
        "hotspots": {"zh-CN": "已看热点", "zh-TW": "已看熱點", "en": "Hotspots seen"},
        "stops": {"zh-CN": "路线站点", "zh-TW": "路線站點", "en": "Route stops"},
        "time": {"zh-CN": "用时", "zh-TW": "用時", "en": "Time"},
        "score": {"zh-CN": "测验得分", "zh-TW": "測驗得分", "en": "Quiz score"},
        "next": {"zh-CN": "下一站", "zh-TW": "下一站", "en": "Next stop"},
        "close": {"zh-CN": "关闭", "zh-TW": "關閉", "en": "Close"},
        "sources": {"zh-CN": "资料来源", "zh-TW": "資料來源", "en": "Sources"},
        "disputed": {"zh-CN": "史学界有不同说法", "zh-TW": "史學界有不同說法",
                     "en": "Historians disagree"},
        "quiz": {"zh-CN": "知识问答", "zh-TW": "知識問答", "en": "Quiz"},
        # the guide's panel in a live tour
        "guide_panel": {"zh-CN": "导览控制", "zh-TW": "導覽控制", "en": "Tour controls"},
        "phase": {"zh-CN": "阶段", "zh-TW": "階段", "en": "Phase"},
        "lobby": {"zh-CN": "候场", "zh-TW": "候場", "en": "lobby"},
        "live": {"zh-CN": "进行中", "zh-TW": "進行中", "en": "live"},
        "ended": {"zh-CN": "已结束", "zh-TW": "已結束", "en": "ended"},
        "follow": {"zh-CN": "跟随", "zh-TW": "跟隨", "en": "Follow"},
        "locked": {"zh-CN": "锁定", "zh-TW": "鎖定", "en": "Locked"},
        "muted": {"zh-CN": "静音", "zh-TW": "靜音", "en": "Muted"},
        "on": {"zh-CN": "开", "zh-TW": "開", "en": "on"},
        "off": {"zh-CN": "关", "zh-TW": "關", "en": "off"},
        "present": {"zh-CN": "在场", "zh-TW": "在場", "en": "Present"},
        "at_stop": {"zh-CN": "站点", "zh-TW": "站點", "en": "Stop"},
        "hands": {"zh-CN": "举手", "zh-TW": "舉手", "en": "Hands"},
        "question": {"zh-CN": "提问", "zh-TW": "提問", "en": "Question"},
        "answered": {"zh-CN": "已答", "zh-TW": "已答", "en": "answered"},
        "closed": {"zh-CN": "已收", "zh-TW": "已收", "en": "closed"},
        "guide_keys": {"zh-CN": "B 开始 N/P 下/上一站 G 集合 F 跟随 L 锁定 H 高亮 X 激光 "
                                "M 静音 K 出题 C 收题 End 结束",
                       "zh-TW": "B 開始 N/P 下/上一站 G 集合 F 跟隨 L 鎖定 H 高亮 X 激光 "
                                "M 靜音 K 出題 C 收題 End 結束",
                       "en": "B begin N/P next/previous stop G gather F follow L lock "
                             "H highlight X laser M mute K quiz C close End end"},
    }.items()
}
