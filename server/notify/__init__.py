"""Notifications: how a due reminder or notice of the queue (:mod:`server.reminders`)
reaches people.

- The portal's inbox (:mod:`server.notify.inbox`): always, written in the transaction that
  marks the reminder sent, so it happens exactly once.
- E-mail (:mod:`server.notify.mail`) to the member's address, when SMTP is configured;
  WeCom and DingTalk group robots (:mod:`server.notify.robots`) of the member's branch.
  Each is a row of ``deliveries`` (:mod:`server.notify.deliveries`), tried apart from the
  others with growing waits, so a channel that is down holds back nothing else.

The words (:mod:`server.notify.wording`) come from the portal's message catalogue.
"""
