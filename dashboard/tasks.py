"""Celery tasks of the point of sale: thin; the work is in the modules they call."""

from celery import shared_task

from dashboard import whatif


@shared_task(name="dashboard.whatif_replay")
def whatif_replay(run_id: str, proposal: dict) -> None:
    """Replay the proposal; progress and result go to the cache under `run_id`. Read-only, so safe to run twice."""
    whatif.run(run_id, proposal)
