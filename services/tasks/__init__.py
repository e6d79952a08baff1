"""The work that workers do, each a keyword-only function of ids, enqueued by dotted path."""

from .algorithm_jobs import run_algorithm_job
from .evaluations import run_evaluation

__all__ = ["run_algorithm_job", "run_evaluation"]
