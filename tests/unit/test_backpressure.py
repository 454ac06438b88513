"""The in-flight budget of ingest: slots are held while a message is being stored, refused past the limit."""

from services.ingest.backpressure import Budget


def test_a_spent_budget_refuses_until_a_slot_is_given_back() -> None:
    budget = Budget(limit=2)
    with budget.slot() as first, budget.slot() as second:
        assert (first, second) == (True, True)
        with budget.slot() as third:
            assert third is False
        assert budget.in_flight == 2, "a refusal holds nothing"
    assert budget.in_flight == 0
    with budget.slot() as again:
        assert again is True


def test_a_failing_request_gives_its_slot_back() -> None:
    budget = Budget(limit=1)
    try:
        with budget.slot():
            raise RuntimeError("publish failed")
    except RuntimeError:
        pass
    assert budget.in_flight == 0
