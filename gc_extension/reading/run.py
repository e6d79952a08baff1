"""Run an algorithm on a case of my own: upload an image from this computer, run the algorithm on
it, and see its segmentation overlaid on the image in the viewer."""

import threading
from html import escape
from pathlib import Path

import ipywidgets as w
import SimpleITK as sitk

from ..errors import GcError
from .viewer import CaseViewer, same_grid

UPLOADS = Path.home() / "uploads"
ACCEPTED = ".mha,.nii,.nii.gz,.nrrd,.tif,.tiff,.png,.jpg,.jpeg"  # one file each (no .mhd with its .raw)


def runnable(algorithms):
    """``[(label, slug)]`` of the algorithms I may run that take one input and have an image."""
    return [
        (f"{a['title']} ({a['slug']})", a["slug"])
        for a in algorithms
        if len(a["inputs"]) == 1 and a["has_image"] and {"editor", "user"} & set(a["my_roles"])
    ]


def readable_images(paths):
    """The images among ``paths``, read; other outputs (JSON values, PDFs, …) are left out."""
    images = []
    for path in paths:
        try:
            images.append(sitk.ReadImage(str(path)))
        except RuntimeError:  # not an image SimpleITK reads
            continue
    return images


def job_text(job):
    where = f", {job.queue_position} ahead in the queue" if job.queue_position else ""
    return f"Job {job.id} on {escape(job.algorithm)}: {escape(job.status)}{where}…"


class RunPanel:
    """Upload a case, run an algorithm on it, overlay the result."""

    def __init__(self, client):
        self.client = client
        try:
            choices = runnable(client.algorithms())
        except GcError as error:
            choices, problem = [], error.message
        else:
            problem = "" if choices else "No algorithm is shared with you yet: ask a researcher to add you as its user."
        self.algorithm = w.Dropdown(options=choices, description="Algorithm", layout=w.Layout(width="420px"))
        self.upload = w.FileUpload(accept=ACCEPTED, multiple=False, description="Choose image")
        self.run_button = w.Button(
            description="Upload and run", icon="play", button_style="primary", disabled=not choices
        )
        self.run_button.on_click(lambda _: self.start())
        self.status = w.HTML(f"<p>{escape(problem)}</p>" if problem else "")
        self.status.add_class("gc-run-status")
        self.viewer = CaseViewer(client)
        self.widget = w.VBox(
            [
                w.HTML(
                    "<p>Upload an image (MHA, NIfTI, NRRD, TIFF, PNG or JPEG; up to 200 MB), run an algorithm on it "
                    "and see its output over the image. The image is imported into your own uploads; nobody else "
                    "sees it. For a larger image, ask a researcher to add it to an archive you may read: it then opens "
                    "in the Archives tab.</p>"
                ),
                w.HBox([self.algorithm, self.upload, self.run_button]),
                self.status,
                self.viewer.widget,
            ]
        )
        self.widget.add_class("gc-run")

    def start(self):
        if not self.upload.value:
            self.status.value = "<p style='color:#b00020'>Choose an image file first.</p>"
            return
        name, upload = next(iter(self.upload.value.items()))
        self.forget_upload()  # a click before the next file has arrived must not rerun this one
        UPLOADS.mkdir(parents=True, exist_ok=True)
        path = UPLOADS / Path(name).name
        path.write_bytes(upload["content"])
        self.run_button.disabled = True
        self.status.value = f"<p>Uploading {escape(path.name)} and importing it…</p>"
        threading.Thread(target=self.run, args=(self.algorithm.value, path), daemon=True).start()

    def forget_upload(self):
        """Empty the upload button (its count back to 0) once its file is taken."""
        self.upload.metadata, self.upload.data = [], []
        self.upload._counter = 0

    def run(self, algorithm, path):
        """Import, run and show (in a thread: the notebook stays responsive meanwhile)."""
        try:
            result = self.client.run(
                algorithm,
                [path],
                to=UPLOADS / "outputs" / algorithm,
                on_change=lambda job: setattr(self.status, "value", f"<p>{job_text(job)}</p>"),
            )[0]
            image = sitk.ReadImage(str(path))
            masks = readable_images(result.outputs.values())
            mask = next((m for m in masks if same_grid(m, image)), None)
            self.viewer.show_images(image, mask, f"{path.name}, with the output of {algorithm}")
            outputs = ", ".join(sorted(result.outputs))
            self.status.value = f"<p class='gc-run-done'>Job {result.job.id} succeeded: outputs {escape(outputs)}.</p>"
        except GcError as error:
            self.status.value = f"<p style='color:#b00020'>{escape(str(error))}</p>"
        except RuntimeError as error:  # SimpleITK could not read a file
            self.status.value = f"<p style='color:#b00020'>The result could not be shown: {escape(str(error))}</p>"
        except Exception as error:  # noqa: BLE001 - in this thread an error would vanish unseen: say it
            self.status.value = (
                f"<p style='color:#b00020'>The result could not be shown ({escape(type(error).__name__)}: "
                f"{escape(str(error))}). Please report this to the platform's administrators.</p>"
            )
        finally:
            self.run_button.disabled = False
