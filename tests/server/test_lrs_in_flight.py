"""Consistent-Through across workers: each publishes its oldest write in flight on a shared
board, and every worker's header stays before all of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.credits.ledger import Head
from server.credits.signing import Signer
from server.lrs import in_flight
from server.lrs.in_flight import Board, consistent_through, storing, timestamp_text


@pytest.fixture
def boards(tmp_path: Path) -> Iterator[tuple[Board, Board]]:
    """Worker 0's and worker 1's views of one board; this process acts as worker 1."""
    path = tmp_path / "board"
    Board.create(path, 2)
    other, mine = Board(path, 2, 0), Board(path, 2, 1)
    in_flight.share(mine)
    yield other, mine
    in_flight.share(None)
    other.close()
    mine.close()


def test_the_header_stays_before_another_workers_write(boards: tuple[Board, Board]) -> None:
    other, _ = boards
    started = datetime.now(UTC) - timedelta(seconds=5)
    other.publish(started)  # worker 0 took this stored time and has not committed
    assert consistent_through() == timestamp_text(started - timedelta(milliseconds=1))
    other.publish(None)  # it committed
    assert consistent_through() > timestamp_text(started)


def test_this_workers_writes_are_on_the_board_until_they_end(
        boards: tuple[Board, Board]) -> None:
    other, _ = boards
    with storing() as (outer, _text), storing() as (inner, _text2):
        assert other.oldest() == outer <= inner  # what worker 0 sees of this one
    assert other.oldest() is None


def test_a_restarted_worker_clears_what_it_left_on_the_board(tmp_path: Path) -> None:
    path = tmp_path / "board"
    Board.create(path, 2)
    crashed = Board(path, 2, 1)
    crashed.publish(datetime(2026, 1, 1, tzinfo=UTC))  # then the process was killed
    crashed.close()
    reader = Board(path, 2, 0)
    assert reader.oldest() is not None
    again = Board(path, 2, 1)  # the supervisor starts worker 1 again
    assert reader.oldest() is None
    reader.close()
    again.close()


def test_two_workers_advancing_the_ledger_head_keep_the_newest(tmp_path: Path) -> None:
    signer = Signer.load_or_create(tmp_path)
    heads = [Head(tmp_path / "ledger-head.json", signer) for _ in range(2)]

    def advance(head: Head, seqs: range) -> None:
        for seq in seqs:
            head.advance(seq, f"{seq:064x}")

    threads = [threading.Thread(target=advance, args=(heads[0], range(1, 400, 2))),
               threading.Thread(target=advance, args=(heads[1], range(2, 401, 2)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert heads[0].read() == {"seq": 400, "hash": f"{400:064x}"}
