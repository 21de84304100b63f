"""The transaction retry for PostgreSQL serialization failures and deadlocks."""
import pytest
from sqlalchemy.exc import OperationalError

from booking.database import retry_on_conflict


class FakeDriverError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(times, sqlstate):
    calls = []

    @retry_on_conflict
    def service():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("UPDATE ...", {}, FakeDriverError(sqlstate))
        return "done"
    return service, calls


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_a_serialization_failure_or_deadlock_is_run_again(app, sqlstate):
    service, calls = failing(2, sqlstate)
    assert service() == "done"
    assert len(calls) == 3


def test_it_gives_up_after_three_attempts(app):
    service, calls = failing(5, "40001")
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 3


def test_other_database_errors_are_not_retried(app):
    service, calls = failing(1, "23505")
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 1
