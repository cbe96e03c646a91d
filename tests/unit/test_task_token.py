"""The Spark tasks' token lifetime, pure. Minting and revoking against the emulator:
tests/test_task_token_emulator.py."""

from dbx_inventory.api.task_token import MAX_LIFETIME, MIN_LIFETIME, task_lifetime


def test_the_lifetime_covers_the_run_within_an_hour_and_a_day():
    assert task_lifetime(10, 2, 120) == MIN_LIFETIME
    assert task_lifetime(200, 2, 120) == 100 * (60 + 120)
    assert task_lifetime(10_000, 8, 120) == MAX_LIFETIME
    assert task_lifetime(400, 2, 120) > task_lifetime(200, 2, 120) > task_lifetime(200, 2, 30)
