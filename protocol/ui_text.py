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
    }.items()
}
