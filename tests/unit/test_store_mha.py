"""Stored MHA files: ITK's own header, voxels deflated by ISA-L, read back identical by SimpleITK."""

import re

import pytest
import SimpleITK as sitk

from services.imaging.results import MHA_KEYS, MHA_LINE
from services.imaging.store import write_mha


def oblique_ct():
    noise = sitk.AdditiveGaussianNoise(sitk.Image([40, 30, 20], sitk.sitkFloat32), standardDeviation=100, seed=3)
    image = sitk.Cast(noise, sitk.sitkInt16)
    image.SetSpacing((0.78, 0.78, 1.25))
    image.SetOrigin((-100.5, 2.0, 1e-7))
    image.SetDirection(sitk.VersorRigid3DTransform((0.2, 0.1, 1), 0.3).GetMatrix())
    return image


def flipped_2d():
    image = sitk.Image([7, 5], sitk.sitkUInt64)
    image.SetDirection((0, 1, 1, 0))
    return image


IMAGES = {
    "oblique 3D CT": oblique_ct,
    "2D RGB": lambda: sitk.Image([6, 4], sitk.sitkVectorUInt8, 3),
    "4D float": lambda: sitk.JoinSeries([sitk.Image([5, 4, 3], sitk.sitkFloat32) + t for t in (1.5, 2.5)]),
    "flipped 2D, 64-bit": flipped_2d,
    "3D RGBA of doubles": lambda: sitk.Image([5, 4, 3], sitk.sitkVectorFloat64, 4),
}


def header(path):
    data = path.read_bytes()
    return data[: data.index(b"ElementDataFile = LOCAL\n")]


@pytest.mark.parametrize("make", IMAGES.values(), ids=IMAGES.keys())
def test_the_header_is_simpleitks_and_the_image_reads_back_identical(make, tmp_path):
    image = make()
    sitk.WriteImage(image, str(tmp_path / "itk.mha"), True)
    write_mha(image, tmp_path / "ours.mha", 2)

    def without_size(text):
        return re.sub(rb"CompressedDataSize = \d+", b"", text)

    assert without_size(header(tmp_path / "ours.mha")) == without_size(header(tmp_path / "itk.mha"))
    back = sitk.ReadImage(str(tmp_path / "ours.mha"))
    assert sitk.Hash(back) == sitk.Hash(image)
    assert back.GetPixelID() == image.GetPixelID()
    for field in ("GetSize", "GetSpacing", "GetOrigin", "GetDirection"):
        assert getattr(back, field)() == getattr(image, field)()
    lines = header(tmp_path / "ours.mha").splitlines()
    assert all(MHA_LINE.fullmatch(line) and MHA_LINE.fullmatch(line)[1].decode() in MHA_KEYS for line in lines)


def test_compressed_size_is_what_follows_the_header(tmp_path):
    write_mha(oblique_ct(), tmp_path / "ct.mha", 2)
    data = (tmp_path / "ct.mha").read_bytes()
    size = int(re.search(rb"CompressedDataSize = (\d+)", data)[1])
    assert len(data) == len(header(tmp_path / "ct.mha")) + len(b"ElementDataFile = LOCAL\n") + size
