"""What a DICOM file without an image is called (pure logic: the SOP class's name, in words)."""

import pytest
from pydicom.uid import (
    BasicTextSRStorage,
    CTImageStorage,
    EnhancedMRImageStorage,
    GrayscaleSoftcopyPresentationStateStorage,
    MediaStorageDirectoryStorage,
    RTPlanStorage,
    RTStructureSetStorage,
    TwelveLeadECGWaveformStorage,
    UltrasoundImageStorage,
)

from services.imaging.dicom_kinds import no_image_message


@pytest.mark.parametrize(
    "sop_class,message",
    [
        (RTPlanStorage, "plan.dcm is an RT plan (no image data): nothing to import"),
        (RTStructureSetStorage, "plan.dcm is an RT structure set (no image data): nothing to import"),
        (BasicTextSRStorage, "plan.dcm is a Basic Text structured report (SR) (no image data): nothing to import"),
        (TwelveLeadECGWaveformStorage, "plan.dcm is a 12-lead ECG Waveform (no image data): nothing to import"),
        (GrayscaleSoftcopyPresentationStateStorage, "plan.dcm is a Grayscale Softcopy Presentation State (no image"),
        (MediaStorageDirectoryStorage, "plan.dcm is a DICOMDIR (the index of a DICOM disc or folder: upload the files"),
        (CTImageStorage, "plan.dcm is the header of a CT Image without its pixel data: nothing to import"),
        (EnhancedMRImageStorage, "plan.dcm is the header of an Enhanced MR Image without its pixel data"),
        (UltrasoundImageStorage, "plan.dcm is the header of an Ultrasound Image without its pixel data"),
        (None, "plan.dcm is a DICOM data set (no image data): nothing to import"),
        ("1.2.3.4", "plan.dcm is a DICOM data set (no image data): nothing to import"),
    ],
)
def test_a_file_without_pixels_is_named_for_what_it_is(sop_class, message):
    assert no_image_message("plan.dcm", sop_class).startswith(message)


def test_how_a_file_was_read_is_said_too():
    note = "a DICOM file without a file meta header, read as implicit VR little endian"
    assert no_image_message("old.dcm", RTPlanStorage, note) == (
        "old.dcm is an RT plan (no image data): nothing to import; it is " + note
    )
