"""The sockets the platform ships: grand-challenge's common ones, with its slugs, kinds and
relative paths, so that a container written for grand-challenge finds its files where it looks.

Sources: grand-challenge's default interfaces (``components/apps.py``: the generic image and
overlay, and the results, predictions and metrics files) and the sockets its documentation uses
as examples (``ct-image`` at ``images/ct``, the COVID-19 lesion segmentation and probability).
``generic-medical-image`` keeps grand-challenge's path, the ``/input`` folder itself. They are
made by migration 0008 (and any later one that adds to this table); nobody changes them.
"""

from typing import NamedTuple

from .schemas import SocketKind

# The creator of the platform's own sockets.
PLATFORM = "gc-hub"


class CommonSocket(NamedTuple):
    slug: str
    title: str
    kind: SocketKind
    relative_path: str
    description: str


COMMON_SOCKETS = (
    CommonSocket("generic-medical-image", "Generic Medical Image", SocketKind.IMAGE, "", "Any medical image."),
    CommonSocket("generic-overlay", "Generic Overlay", SocketKind.HEAT_MAP, "images", "An overlay of an image."),
    CommonSocket("ct-image", "CT Image", SocketKind.IMAGE, "images/ct", "A computed tomography image."),
    CommonSocket(
        "covid-19-lesion-segmentation",
        "COVID-19 Lesion Segmentation",
        SocketKind.SEGMENTATION,
        "images/covid-19-lesion-segmentation",
        "A segmentation of COVID-19 lesions in a CT image.",
    ),
    CommonSocket(
        "covid-19-probability-score",
        "COVID-19 Probability Score",
        SocketKind.FLOAT,
        "probability.json",
        "The probability of COVID-19, between 0 and 1.",
    ),
    CommonSocket(
        "color-fundus-image",
        "Color Fundus Image",
        SocketKind.IMAGE,
        "images/color-fundus",
        "A retinal colour fundus image.",
    ),
    CommonSocket("results-json-file", "Results JSON File", SocketKind.ANY, "results.json", "An algorithm's results."),
    CommonSocket("metrics-json-file", "Metrics JSON File", SocketKind.ANY, "metrics.json", "An evaluation's metrics."),
    CommonSocket(
        "predictions-json-file", "Predictions JSON File", SocketKind.ANY, "predictions.json", "Predictions as JSON."
    ),
    CommonSocket(
        "predictions-csv-file", "Predictions CSV File", SocketKind.CSV, "predictions.csv", "Predictions as CSV."
    ),
    CommonSocket(
        "predictions-zip-file", "Predictions ZIP File", SocketKind.ZIP, "predictions.zip", "Predictions in a zip."
    ),
)
