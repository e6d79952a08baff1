"""The work that workers do, each a keyword-only function of ids, enqueued by dotted path."""

from .algorithm_jobs import run_algorithm_job
from .builds import build_algorithm_image
from .evaluations import run_evaluation
from .intake import load_container_image

__all__ = ["build_algorithm_image", "load_container_image", "run_algorithm_job", "run_evaluation"]
