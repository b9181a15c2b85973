"""A tour's recording: everyone who may see the tour may list and fetch it (404 for a tour
or file they may not see, never 403)."""

ALL = {"member", "guide", "editor", "admin"}
FILE = "/api/tours/1/recording/" + "0" * 64
ROWS = [
    ("GET", "/api/tours/1/recording", ALL),
    ("GET", FILE + ".opus", ALL),
    ("GET", FILE + ".jsonl", ALL),
]
