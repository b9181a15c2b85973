"""Words of the tour bar and the member's tour keys, per language.

These are drawn with the full CJK font (:mod:`engine.fonts`), like the names and
questions beside them, so they need not be in an exhibit's font subset.
"""

from __future__ import annotations

from protocol.tour import REACTIONS

_TEXT: dict[str, dict[str, str]] = {
    "tour": {"zh-CN": "导览", "zh-TW": "導覽", "en": "Tour"},
    "lobby": {"zh-CN": "等待讲解员开始", "zh-TW": "等待講解員開始", "en": "waiting for the guide"},
    "live": {"zh-CN": "进行中", "zh-TW": "進行中", "en": "live"},
    "guide": {"zh-CN": "讲解员", "zh-TW": "講解員", "en": "Guide"},
    "nobody": {"zh-CN": "（暂无）", "zh-TW": "（暫無）", "en": "(none)"},
    "stop": {"zh-CN": "第{n}/{total}站", "zh-TW": "第{n}/{total}站", "en": "stop {n}/{total}"},
    "present": {"zh-CN": "在场", "zh-TW": "在場", "en": "present"},
    "follow": {"zh-CN": "跟随", "zh-TW": "跟隨", "en": "follow"},
    "locked": {"zh-CN": "锁定", "zh-TW": "鎖定", "en": "locked"},
    "muted": {"zh-CN": "静音", "zh-TW": "靜音", "en": "muted"},
    "on": {"zh-CN": "开", "zh-TW": "開", "en": "on"},
    "off": {"zh-CN": "关", "zh-TW": "關", "en": "off"},
    "hand_up": {"zh-CN": "我已举手（第{n}位）", "zh-TW": "我已舉手（第{n}位）",
                "en": "my hand is up (#{n})"},
    "hand_down": {"zh-CN": "未举手", "zh-TW": "未舉手", "en": "hand down"},
    "spectator": {"zh-CN": "旁听", "zh-TW": "旁聽", "en": "spectating"},
    "asked": {"zh-CN": "提问", "zh-TW": "提問", "en": "asks"},
    "keys": {"zh-CN": "R 举手/放下  T 提问/聊天（Tab 切换，Enter 发送，Esc 取消）  "
                      "F5–F9 鼓掌 点赞 赞同 疑问 红旗",
             "zh-TW": "R 舉手/放下  T 提問/聊天（Tab 切換，Enter 發送，Esc 取消）  "
                      "F5–F9 鼓掌 點讚 贊同 疑問 紅旗",
             "en": "R raise/lower hand  T ask or chat (Tab switches, Enter sends, Esc "
                   "cancels)  F5–F9 applause heart thumbs-up question flag"},
    "vr_keys": {"zh-CN": "左手 X 举手/放下  Y 鼓掌", "zh-TW": "左手 X 舉手/放下  Y 鼓掌",
                "en": "left hand: X raise/lower hand  Y applause"},
    "typing_ask": {"zh-CN": "提问 ›", "zh-TW": "提問 ›", "en": "Question ›"},
    "typing_chat": {"zh-CN": "聊天 ›", "zh-TW": "聊天 ›", "en": "Chat ›"},
    "ended": {"zh-CN": "导览已结束", "zh-TW": "導覽已結束", "en": "The tour has ended"},
    "ended_next": {
        "zh-CN": "感谢参加！出席与学时由服务器核定，可在门户“我的学时”中查看。"
                 "可继续自行参观本展览（热点、路线 1–9、知识问答），或按 Ctrl+Q 退出。",
        "zh-TW": "感謝參加！出席與學時由伺服器核定，可在入口網站「我的學時」中查看。"
                 "可繼續自行參觀本展覽（熱點、路線 1–9、知識問答），或按 Ctrl+Q 退出。",
        "en": "Thank you for taking part. Attendance and credit hours are judged by the "
              "server: see My credits on the portal. Go on exploring on your own "
              "(hotspots, stops 1–9, quiz), or press Ctrl+Q to quit."},
    "lost": {"zh-CN": "与导览的连接已断开", "zh-TW": "與導覽的連線已中斷",
             "en": "The connection to the tour was lost"},
    "missing_scene": {
        "zh-CN": "导览已到场景“{scene}”，但本机的展览包中没有这个场景：请更新展览包。"
                 "画面停在原处。",
        "zh-TW": "導覽已到場景「{scene}」，但本機的展覽包中沒有這個場景：請更新展覽包。"
                 "畫面停在原處。",
        "en": "The tour has moved to scene “{scene}”, which this exhibit package lacks: "
              "update the package. You stay where you are."},
    "missing_stop": {
        "zh-CN": "导览已到场景“{scene}”的站点“{stop}”，但本机的展览包中没有这个站点：请更新展览包。"
                 "画面停在原处。",
        "zh-TW": "導覽已到場景「{scene}」的站點「{stop}」，但本機的展覽包中沒有這個站點："
                 "請更新展覽包。畫面停在原處。",
        "en": "The tour has moved to stop “{stop}” of scene “{scene}”, which this exhibit "
              "package lacks: update the package. You stay where you are."},
    "other_version": {
        "zh-CN": "导览使用展览的 {theirs} 版，本机为 {mine} 版：内容可能不一致。",
        "zh-TW": "導覽使用展覽的 {theirs} 版，本機為 {mine} 版：內容可能不一致。",
        "en": "The tour shows version {theirs} of the exhibit; this package is version {mine}: "
              "some of it may differ."},
    "speaking": {"zh-CN": "正在发言", "zh-TW": "正在發言", "en": "speaking"},
    "floor": {"zh-CN": "发言权", "zh-TW": "發言權", "en": "floor"},
    "floor_open": {"zh-CN": "自由发言", "zh-TW": "自由發言", "en": "open floor"},
    "floor_none": {"zh-CN": "仅讲解员", "zh-TW": "僅講解員", "en": "guides only"},
    "my_floor": {"zh-CN": "我可以发言（空格 按住说话，F10 切换按键/自动）",
                 "zh-TW": "我可以發言（空白鍵 按住說話，F10 切換按鍵/自動）",
                 "en": "you may speak (hold Space to talk; F10 push-to-talk/automatic)"},
    "no_floor": {"zh-CN": "未获发言权（举手申请）", "zh-TW": "未獲發言權（舉手申請）",
                 "en": "you do not have the floor (raise your hand)"},
    "no_audio": {"zh-CN": "未找到音频设备：导览继续进行，但听不到也无法发言。",
                 "zh-TW": "未找到音訊裝置：導覽繼續進行，但聽不到也無法發言。",
                 "en": "No audio device: the tour goes on, but you cannot hear or speak."},
    "floor_keys": {"zh-CN": "V 给首位举手者发言权 U 收回最近的发言权 O 开放/关闭自由发言 "
                            "空格 按住说话",
                   "zh-TW": "V 給首位舉手者發言權 U 收回最近的發言權 O 開放/關閉自由發言 "
                            "空白鍵 按住說話",
                   "en": "V give the floor to the first raised hand  U take back the latest  "
                         "O open/close the floor  Space hold to talk"},
}
REACTION_NAMES: dict[str, dict[str, str]] = {
    "applause": {"zh-CN": "鼓掌", "zh-TW": "鼓掌", "en": "applauds"},
    "heart": {"zh-CN": "点赞", "zh-TW": "點讚", "en": "sends a heart"},
    "thumbs_up": {"zh-CN": "赞同", "zh-TW": "贊同", "en": "agrees"},
    "question": {"zh-CN": "有疑问", "zh-TW": "有疑問", "en": "has a question"},
    "flag": {"zh-CN": "举红旗", "zh-TW": "舉紅旗", "en": "waves a flag"},
}
assert set(REACTION_NAMES) == set(REACTIONS)


def tour_labels(language: str) -> dict[str, str]:
    """The tour bar's words in ``language`` (English where none is given)."""
    return {key: text.get(language, text["en"]) for key, text in _TEXT.items()}


def reaction_name(reaction: str, language: str) -> str:
    names = REACTION_NAMES.get(reaction)
    return reaction if names is None else names.get(language, names["en"])
