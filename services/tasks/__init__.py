"""The work that workers do, each a keyword-only function of ids, enqueued by dotted path."""

from .algorithm_jobs import run_algorithm_job
from .evaluations import run_evaluation
from .intake import load_container_image

__all__ = ["load_container_image", "run_algorithm_job", "run_evaluation"]
