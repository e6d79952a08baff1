"""The clinician's workstation shows a volume with itkwidgets, offline, in a real browser."""

import json
import time
import warnings

import pytest
import requests
import SimpleITK as sitk
from browser import (
    collect_errors,
    hub_login,
    kernel_messages,
    launch_chromium,
    local_only_context,
    widget_errors,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.stack, pytest.mark.browser, pytest.mark.webgl]

BUILD_VOLUME = """\
import numpy as np
import SimpleITK as sitk

# 64³ float volume: a bright sphere fading out onto a dark background, anisotropic spacing.
z, y, x = np.mgrid[:64, :64, :64]
radius = np.sqrt((x - 32) ** 2 + (y - 32) ** 2 + (z - 32) ** 2)
image = sitk.GetImageFromArray((1000 * np.clip(1 - radius / 24, 0, 1)).astype(np.float32))
image.SetSpacing((0.8, 0.8, 1.5))
image.GetSize(), image.GetSpacing()"""

SHOW_VOLUME = """\
from itkwidgets import view

# itkwidgets 0.32.6 takes the SimpleITK image as it is (it converts it to itk, spacing kept).
# Controls collapsed: open, they cover part of the volume in the screenshot.
view(image, ui_collapsed=True)"""

KERNEL_IDLE = """() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded
    && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()
    && document.querySelector('#kernel_indicator_icon.kernel_idle_icon')
    && !document.querySelector('.cell.running')"""

# Marks the viewer's WebGL canvas (the largest canvas in the output areas) once it is laid out.
VIEWER_CANVAS = """() => {
    const area = c => c.clientWidth * c.clientHeight;
    const canvas = [...document.querySelectorAll('.output_area canvas')].sort((a, b) => area(b) - area(a))[0];
    if (!canvas || area(canvas) < 200 * 200) return null;
    canvas.setAttribute('data-test', 'viewer-canvas');
    return [canvas.clientWidth, canvas.clientHeight];
}"""

# How many frames the page draws in one second (0 if it draws none within two).
FRAMES_PER_SECOND = """() => Promise.race([
    new Promise(done => {
        let frames = 0;
        const start = performance.now();
        const count = () => performance.now() - start < 1000
            ? (frames++, requestAnimationFrame(count))
            : done(frames);
        requestAnimationFrame(count);
    }),
    new Promise(done => setTimeout(() => done(0), 2000)),
])"""

# For the canvas screenshot: hide everything else (the viewer's controls float over its canvas).
CANVAS_ONLY = """body * { visibility: hidden !important }
    [data-test=viewer-canvas] { visibility: visible !important }"""

PYTHON_ERRORS = """() => Jupyter.notebook.get_cells()
    .flatMap(cell => (cell.output_area ? cell.output_area.outputs : []))
    .filter(output => output.output_type === 'error')
    .map(output => output.ename + ': ' + output.evalue)"""


def notebook(*sources):
    """An nbformat 4 notebook with one code cell per source."""
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s} for s in sources
    ]
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}


def wait_for_widget_manager(page, received, timeout=30):
    """Wait until the notebook's widget manager has loaded the (no) widgets of the new kernel.

    "Kernel idle" does not mean the widgets extension is there yet: cells run before it would
    race it (the viewer's comm could arrive before anyone listens, or the manager's late load
    could draw the output again). In a fresh kernel that load ends with a comm_info request.
    """
    deadline = time.monotonic() + timeout
    while "comm_info_reply" not in received:
        assert time.monotonic() < deadline, f"widget manager not loaded in {timeout} s: {received}"
        page.wait_for_timeout(100)


def wait_for_smooth_frames(page, timeout=120):
    """Wait until the page draws frames again (at least 20 a second).

    The first renderings of the volume run on SwiftShader (software WebGL): on a small machine
    they hold up the page's frames, and screenshots with them, for tens of seconds.
    """
    deadline = time.monotonic() + timeout
    while (fps := page.evaluate(FRAMES_PER_SECOND)) < 20:
        assert time.monotonic() < deadline, f"the page still draws only {fps} frames/s"


def drawn_fraction(png):
    """Fraction of the pixels of ``png`` that differ clearly from its corner (background) colour.

    SimpleITK filters only: the test venv has no numpy (``sitk.GetArrayFromImage`` would need it).
    """
    image = sitk.ReadImage(str(png))
    background = image[0, 0]
    differs = None
    for channel in range(3):  # R, G, B; alpha left out
        values = sitk.Cast(sitk.VectorIndexSelectionCast(image, channel), sitk.sitkInt16)
        far = sitk.Abs(values - background[channel]) > 40
        differs = far if differs is None else differs | far
    stats = sitk.StatisticsImageFilter()
    stats.Execute(differs)
    return stats.GetMean()


def wait_for_volume(page, png, timeout=60):
    """Screenshot the viewer's canvas until the volume shows on it; the last fraction drawn.

    A page screenshot clipped to the canvas, with everything else hidden: the viewer's own
    controls, which float over the canvas, do not count as drawn.
    """
    deadline = time.monotonic() + timeout
    while True:
        wait_for_smooth_frames(page)
        page.evaluate("document.querySelector('[data-test=viewer-canvas]').scrollIntoView({block: 'center'})")
        box = page.locator("[data-test=viewer-canvas]").bounding_box()
        page.screenshot(path=png, clip=box, style=CANVAS_ONLY)
        drawn = drawn_fraction(png)
        if drawn > 0.02 or time.monotonic() > deadline:
            return drawn
        page.wait_for_timeout(500)


def test_itkwidgets_renders_a_simpleitk_volume_offline(hub, artifacts):
    """view(image) in the workstation draws the volume with WebGL, nothing fetched from outside."""
    clinician = hub.login("clinician")
    r = clinician.start_server(profile="workstation")
    assert r.status_code in (201, 202), r.text
    try:
        clinician.wait_ready()
        r = requests.put(
            f"{hub.url}/user/clinician/api/contents/viewer.ipynb",
            headers={"Authorization": f"token {clinician.new_token()}"},
            data=json.dumps({"type": "notebook", "content": notebook(BUILD_VOLUME, SHOW_VOLUME)}),
            timeout=30,
        )
        assert r.status_code in (200, 201), r.text

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context, blocked = local_only_context(browser, viewport={"width": 1280, "height": 1024})
            page = context.new_page()
            errors = collect_errors(page)
            received = kernel_messages(page)
            hub_login(page, hub.url, "clinician", hub.passwords["user_password"])
            page.goto(f"{hub.url}/user/clinician/notebooks/viewer.ipynb")
            page.wait_for_function(KERNEL_IDLE, polling=200, timeout=60_000)
            wait_for_widget_manager(page, received)
            page.evaluate("Jupyter.notebook.execute_all_cells()")
            try:
                try:  # polling on a timer: while SwiftShader renders, animation frames are rare
                    canvas = page.wait_for_function(VIEWER_CANVAS, polling=200, timeout=90_000)
                except PlaywrightTimeout:
                    pytest.fail(f"no viewer canvas within 90 s; page errors: {errors}; blocked: {blocked}")
                width, height = canvas.json_value()
                page.wait_for_function(KERNEL_IDLE, polling=200, timeout=60_000)
                drawn = wait_for_volume(page, artifacts / "workstation-viewer-canvas.png")
            finally:
                # The notebook scrolls inside its own element: the page is one screen, no full_page.
                page.screenshot(path=artifacts / "workstation-viewer.png")
                shown_error = page.locator(".output_area", has_text="Error displaying widget").count()
                python_errors = page.evaluate(PYTHON_ERRORS)
            browser.close()
    finally:
        clinician.stop_server()

    seen = f"page errors: {errors}; blocked requests to outside: {blocked}"
    assert not python_errors, f"{python_errors}; {seen}"
    assert not shown_error, f"a widget failed to display; {seen}"
    assert width >= 300 and height >= 300, f"viewer canvas is only {width}x{height}; {seen}"
    assert drawn > 0.02, f"the viewer's canvas is blank ({drawn:.1%} drawn); {seen}"
    assert not widget_errors(errors), f"a widget failed; {seen}"
    uncaught = [e for e in errors if e.startswith("pageerror:")]
    assert not uncaught, f"uncaught JavaScript errors (they cut the viewer's set-up short); {seen}"
    if blocked:  # the viewer rendered without them, so they were not needed
        warnings.warn(f"the notebook page tried to reach outside this machine: {blocked}", stacklevel=1)
