"""Opening a case in the workstation's reading app, next to a bare itkwidgets ``view()`` of the
same image in a plain notebook of the same workstation.

    .venv/bin/python benchmarks/reading.py [--runs 5] [--large]

A hub with the demo content starts; the clinician's workstation is spawned and driven by Debian's
headless Chromium (outside addresses blocked, as in the tests). Reading app: from the click on
*Open Demo reading* until the viewer's canvas is laid out (the study, its questions, cases and my
answers fetched, the image read from the cache, the widgets built and drawn). Baseline: from
running a cell with ``view(sitk.ReadImage(<that image>), mode="z")`` until its canvas is laid out.
Every measurement has a browser of its own (a viewer still drawing in software WebGL holds the
browser's GPU process up for minutes) and fresh kernels (a reopened notebook's kernel would send
the page its earlier viewers' images again) with itkwidgets already imported, and counts only a
viewer made after its click. The last line is
``open_case_ratio=<median app / median bare>``.

``--large``: a 512 × 512 × 300 int16 CT instead of the demo's scan, opened from the app's
*Archives* tab, and timed until the image has arrived in the browser (its widget model holds the
image sent) and the canvas is laid out. The app sends every voxel; the bare ``view()`` keeps
itkwidgets' default limit (192³) and sends 170 × 170 × 150: the ratio is
what full resolution costs. The last line is ``large_case_ratio=<median app / median bare>``.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "stack")]
from browser import hub_login, launch_chromium, local_only_context, wait_until  # noqa: E402
from hubtools import remove_home_volumes, running_hub  # noqa: E402
from test_reading_app import choose_archive, large_ct_archive  # noqa: E402
from test_viewer import KERNEL_IDLE, notebook  # noqa: E402

from hub_config.profiles import READING_APP  # noqa: E402
from services.demo import seed_demo  # noqa: E402
from services.launcher import example_image_ids  # noqa: E402

CANVAS_SHOWN = """selector => [...document.querySelectorAll(selector)]
    .some(c => c.clientWidth >= 200 && c.clientHeight >= 200)"""


LARGE_ARCHIVE = "large-ct"
VIEWERS = """async () => {
    const found = [];
    const managers = window.Jupyter && Jupyter.WidgetManager ? Jupyter.WidgetManager._managers : [];
    for (const manager of managers) {
        for (const [id, promise] of Object.entries(manager._models)) {
            const model = await promise;
            if (model.get('_model_name') !== 'ViewerModel') continue;
            const shown = Object.keys(model.views || {}).length > 0;
            found.push({id, shown, image: Boolean(model.get('rendered_image'))});
        }
    }
    return found;
}"""


def new_viewer(with_image=False):
    """JavaScript: a canvas matching the selector is laid out and a viewer not in ``before`` is
    shown (and has been sent its image)."""
    image = " && v.image" if with_image else ""
    return f"""async ([selector, before]) => ({CANVAS_SHOWN})(selector)
    && (await ({VIEWERS})()).some(v => !before.includes(v.id) && v.shown{image})"""


NEW_VIEWER_SHOWN, IMAGE_ARRIVED = new_viewer(), new_viewer(with_image=True)


def timed(page, action, canvas_selector, arrived=NEW_VIEWER_SHOWN):
    """Seconds from ``action()`` until ``arrived`` holds for a viewer made after it: by default,
    until a canvas matching ``canvas_selector`` is laid out."""
    before = [viewer["id"] for viewer in page.evaluate(VIEWERS)]
    started = time.perf_counter()
    action()
    wait_until(page, arrived, [canvas_selector, before], timeout=900, interval=0.05)
    return time.perf_counter() - started


WARM_UP = "import itkwidgets"


def run_untimed(page, code):
    """Run ``code`` in the page's kernel and wait until the kernel is idle again."""
    page.evaluate("code => Jupyter.notebook.kernel.execute(code)", code)
    page.wait_for_timeout(500)
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=120_000)


def start_app(page, app_url):
    """The reading app's home screen, its kernel warm."""
    page.goto(app_url)
    page.locator(".gc-reading-app").wait_for(timeout=120_000)
    run_untimed(page, WARM_UP)


def open_in_app(page, app_url):
    start_app(page, app_url)
    button = page.locator(".gc-open-study", has_text="Demo reading")
    return timed(page, button.click, ".gc-viewer canvas")


def open_large_in_app(page, app_url):
    start_app(page, app_url)
    choose_archive(page, "Large CT")
    pick = lambda: page.locator(".gc-reading-app select").nth(1).select_option(index=1)  # noqa: E731
    return timed(page, pick, ".gc-viewer canvas", IMAGE_ARRIVED)


def open_bare(page, notebook_url, arrived=NEW_VIEWER_SHOWN):
    page.goto(notebook_url)
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=90_000)
    page.wait_for_timeout(1000)  # the widget manager loads after the kernel is idle
    run_untimed(page, WARM_UP)
    run = lambda: page.evaluate("Jupyter.notebook.execute_all_cells()")  # noqa: E731
    return timed(page, run, ".output_area canvas", arrived)


def restart_kernels(server_url, token):
    """Restart every kernel of the clinician's server (its widgets and their images are gone)."""
    headers = {"Authorization": f"token {token}"}
    for session in requests.get(f"{server_url}/api/sessions", headers=headers, timeout=30).json():
        requests.post(f"{server_url}/api/kernels/{session['kernel']['id']}/restart", headers=headers, timeout=120)


def first_image(hub, large):
    """The id of the image that the demo study's first case (or the large archive's) shows."""
    clinician = {"Authorization": f"token {hub.login('clinician').new_token()}"}
    path = f"archives/{LARGE_ARCHIVE}/items" if large else "reader-studies/demo-reading/cases"
    cases = requests.get(f"{hub.url}/services/archives/api/v1/{path}", headers=clinician, timeout=30).json()
    return cases["results"][0]["values"]["ct-image"]["image"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large", action="store_true", help="a 512 × 512 × 300 CT from the Archives tab")
    args = parser.parse_args()
    if args.large:
        in_app, bare_arrived, ratio = open_large_in_app, IMAGE_ARRIVED, "large_case_ratio"
    else:
        in_app, bare_arrived, ratio = open_in_app, NEW_VIEWER_SHOWN, "open_case_ratio"
    instance = "gc-hub-bench-reading"
    with tempfile.TemporaryDirectory() as data_dir:
        try:
            with running_hub(data_dir, instance) as hub:
                seed_demo(hub.settings.database_url, hub.settings.data_dir, image_ids=example_image_ids())
                if args.large:
                    large_ct_archive(hub, LARGE_ARCHIVE)
                clinician = hub.login("clinician")
                clinician.start_server(profile="workstation").raise_for_status()
                clinician.wait_ready()
                image_id = first_image(hub, args.large)
                show = (
                    "import glob\nimport SimpleITK as sitk\nfrom itkwidgets import view\n\n"
                    f"view(sitk.ReadImage(glob.glob('/home/jovyan/.cache/gc-hub/images/{image_id}/*')[0]),"
                    " mode='z', cmap='Grayscale', ui_collapsed=True)"
                )
                requests.put(
                    f"{hub.url}/user/clinician/api/contents/bare-view.ipynb",
                    headers={"Authorization": f"token {clinician.new_token()}"},
                    timeout=30,
                    data=json.dumps({"type": "notebook", "content": notebook(show)}),
                ).raise_for_status()
                app_url = f"{hub.url}/user/clinician{READING_APP}"
                bare_url = f"{hub.url}/user/clinician/notebooks/bare-view.ipynb"
                password = hub.passwords["user_password"]

                server_url, token = f"{hub.url}/user/clinician", clinician.new_token()

                def measure(opening, url, *arrived):
                    """Seconds ``opening`` takes in a browser of its own, signed in as the clinician."""
                    restart_kernels(server_url, token)
                    browser = launch_chromium(playwright)
                    try:
                        context, _ = local_only_context(browser, viewport={"width": 1400, "height": 1000})
                        page = context.new_page()
                        hub_login(page, hub.url, "clinician", password)
                        return opening(page, url, *arrived)
                    finally:
                        browser.close()

                with sync_playwright() as playwright:
                    measure(in_app, app_url)  # warm-up: downloads the image into the cache
                    measure(open_bare, bare_url, bare_arrived)  # warm-up: the kernel imports itkwidgets
                    app, bare = [], []
                    for run in range(args.runs):
                        app.append(measure(in_app, app_url))
                        bare.append(measure(open_bare, bare_url, bare_arrived))
                        print(f"run {run + 1}: reading app {app[-1]:.2f} s, bare view() {bare[-1]:.2f} s", flush=True)
                clinician.stop_server()
        finally:
            remove_home_volumes(instance)
    app_median, bare_median = statistics.median(app), statistics.median(bare)
    print(f"median: reading app {app_median:.2f} s, bare view() {bare_median:.2f} s")
    print(f"{ratio}={app_median / bare_median:.2f}")


if __name__ == "__main__":
    main()
