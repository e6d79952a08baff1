"""The reading app's pure parts: window/level presets, answers made of clicks, reading order."""

import math

import pytest
import SimpleITK as sitk

from gc_extension.reading.annotations import describe
from gc_extension.reading.reading_order import first_unfinished, is_done
from gc_extension.reading.resolution import BROWSER_MAX_BYTES, BROWSER_MAX_SIDE, bytes_per_voxel, shown
from gc_extension.reading.windowing import AUTO, FULL_RANGE, STANDARD_PRESETS, Percentiles, Window, presets


def test_ct_presets_are_width_and_level_in_hounsfield_units():
    assert STANDARD_PRESETS["Soft tissue"].limits([-1000, 3000]) == (-160, 240)
    assert STANDARD_PRESETS["Lung"].limits([-1000, 3000]) == (-1350, 150)


def test_auto_takes_the_percentiles_and_full_range_the_extremes():
    pixels = list(range(101))
    assert STANDARD_PRESETS[AUTO].limits(pixels) == (1.0, 99.0)
    assert STANDARD_PRESETS[AUTO].limits([5] * 99 + [0, 100]) == (0.0, 100.0)  # a flat image: its whole range
    assert STANDARD_PRESETS[FULL_RANGE].limits(pixels) == (0.0, 100.0)


def test_a_viewer_configurations_presets_replace_the_standard_ones_with_its_default_first():
    settings = {
        "window_presets": [
            {"title": "Lung", "width": 1500, "center": -600},
            {"title": "Middle", "lower_percentile": 25, "upper_percentile": 75},
        ],
        "default_window_preset": "Middle",
    }
    given, default = presets(settings)
    assert given == {"Lung": Window(1500, -600), "Middle": Percentiles(25, 75)} and default == "Middle"
    assert given["Middle"].limits(list(range(101))) == (25.0, 75.0)
    assert presets({**settings, "default_window_preset": None})[1] == "Lung"  # no default: the first
    assert presets({"window_presets": []}) == (STANDARD_PRESETS, AUTO)


def test_answers_read_as_a_reader_reads_them():
    choices = [{"id": 7, "title": "low"}, {"id": 9, "title": "high"}]
    assert describe({"kind": "bool"}, True) == "yes"
    assert describe({"kind": "choice", "choices": choices}, 9) == "high"
    assert describe({"kind": "multiple-choice", "choices": choices}, [7, 9]) == "low, high"
    assert describe({"kind": "multiple-choice", "choices": choices}, []) == "none"
    assert describe({"kind": "float"}, None) == "not answered"


def test_reading_goes_on_at_the_first_case_with_a_required_question_open():
    questions = [{"id": 1, "required": True}, {"id": 2, "required": False}]
    cases = [{"id": 10}, {"id": 11}, {"id": 12}]
    answers = {(1, 10): True, (2, 11): "optional only"}
    assert is_done(cases[0], questions, answers) and not is_done(cases[1], questions, answers)
    assert first_unfinished(cases, questions, answers) == 1
    assert first_unfinished(cases, questions, {(1, c["id"]): 0 for c in cases}) == 0


@pytest.mark.parametrize(
    ("size", "voxel_bytes", "factor"),
    [
        ((512, 512, 300), 2, 1),  # a CT in int16: every voxel (itkwidgets alone would send 170 × 170 × 150)
        ((512, 512, 300), 2 + 1, 1),  # ... with a uint8 segmentation over it
        ((64, 64, 32), 4, 1),
        ((512, 512, 300), 4, 2),  # float32 over 240 MiB
        ((512, 512, 1200), 2, 2),
        ((1024, 1024, 1200), 2, 3),
        ((4096, 1024), 1, 2),  # a 2D image wider than a WebGL texture
    ],
)
def test_the_browser_gets_every_voxel_unless_the_case_is_too_large(size, voxel_bytes, factor):
    sent = shown(size, voxel_bytes)
    assert sent.factor == factor
    assert sent.full_resolution == (factor == 1)
    assert max(sent.limit) <= BROWSER_MAX_SIDE
    assert math.prod(sent.limit) * voxel_bytes <= BROWSER_MAX_BYTES
    if factor == 1:
        assert sent.limit == size and sent.message().endswith("shown at full resolution")


def test_a_case_too_large_for_the_browser_says_what_is_shown_and_what_to_do():
    message = shown((1024, 1024, 1200), 2).message()
    assert "1024 × 1024 × 1200 voxels (2,400 MiB) is too large for the browser" in message
    assert "shown at 1/3 resolution (342 × 342 × 400)" in message and "Crop to a region" in message
    with pytest.raises(ValueError, match="cannot be shown"):
        shown((0, 512), 2)


def test_voxel_bytes_are_what_the_viewer_sends():
    assert bytes_per_voxel(sitk.Image(4, 4, 4, sitk.sitkInt16)) == 2
    assert bytes_per_voxel(sitk.Image(4, 4, 4, sitk.sitkInt64)) == 4  # sent as int32
    assert bytes_per_voxel(sitk.Image(4, 4, 4, sitk.sitkFloat64)) == 8
    assert bytes_per_voxel(sitk.Image([4, 4], sitk.sitkVectorUInt8, 3)) == 3
