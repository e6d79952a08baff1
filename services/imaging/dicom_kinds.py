"""What a DICOM file is, in words, when it holds no image to import.

Valid DICOM files often hold no pixels: RT plans and structure sets, structured reports, waveforms,
DICOMDIR indexes, presentation states. Each is named by its SOP class (as pydicom knows it), so the
person who uploaded it learns what it is rather than that it could not be read.
"""

from pydicom.uid import UID

# SOP classes whose name reads badly with the rule in ``kind``.
NAMED = {
    "RT Plan Storage": "an RT plan",
    "RT Ion Plan Storage": "an RT ion plan",
    "RT Structure Set Storage": "an RT structure set",
    "Media Storage Directory Storage": "a DICOMDIR (the index of a DICOM disc or folder: upload the files it lists)",
    "Color Palette Storage": "a colour palette",
    "Key Object Selection Document Storage": "a key object selection (a list of other images)",
}


def with_article(text):
    """``an MR image``, ``a CT image``, ``an enhanced MR image``, ``a US image``."""
    word = text.split(" ", 1)[0]
    acronym = word.isupper() and len(word) > 1
    vowel_sound = word[:1] in ("AEFHILMNORSX" if acronym else "AEIOUaeiou")
    return ("an " if vowel_sound else "a ") + text


def kind(sop_class_uid):
    """What a file of the SOP class ``sop_class_uid`` is: ``an RT plan``, ``a Basic Text structured
    report (SR)``, ``a 12-lead ECG Waveform``, ``a CT Image``; ``a DICOM data set`` if unknown."""
    name = UID(str(sop_class_uid or "")).name if sop_class_uid else ""
    if name in NAMED:
        return NAMED[name]
    short = name.removesuffix(" Storage").strip()
    if not short or short == str(sop_class_uid):
        return "a DICOM data set"
    if short.endswith(" SR"):
        return with_article(short.removesuffix(" SR") + " structured report (SR)")
    return with_article(short)


def is_image_class(sop_class_uid):
    """Whether the SOP class is one of images (``… Image Storage``): a file of it without pixels is a
    header whose image is missing, not a file of another kind."""
    return UID(str(sop_class_uid or "")).name.endswith("Image Storage")


def no_image_message(name, sop_class_uid, note=""):
    """The message for the DICOM file ``name`` that holds no pixel data."""
    what = kind(sop_class_uid)
    if is_image_class(sop_class_uid):
        text = f"{name} is the header of {what} without its pixel data: nothing to import"
    else:
        text = f"{name} is {what} (no image data): nothing to import"
    return f"{text}; it is {note}" if note else text
