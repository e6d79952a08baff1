"""The pages of viewer configurations and hanging protocols (their words, who sees which
controls), and archives shown with a viewer configuration and a hanging protocol (API and page)."""

import pytest
from test_archive_pages import fetch, form_post
from test_reader_study_reading import app, ok  # noqa: F401  # app: the archives service, researchers create
from test_viewing import TWO_VIEWPORTS

from services.core.viewing import INTERPOLATIONS
from services.web.viewing_pages import INTERPOLATION_WORDS, layout_words, ordinal, preset_words

PAGES = "/services/archives/viewing"


@pytest.mark.parametrize(("number", "words"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                               (12, "12th"), (21, "21st"), (99, "99th"), (100, "100th")])  # fmt: skip
def test_ordinals(number, words):
    assert ordinal(number) == words


def test_presets_and_layouts_in_words():
    assert preset_words({"title": "Lung", "width": 1500, "center": -600}) == "Lung: width 1500, centre -600"
    assert preset_words({"title": "Auto", "lower_percentile": 1, "upper_percentile": 99}) == (
        "Auto: 1st to 99th percentile"
    )
    assert layout_words(TWO_VIEWPORTS) == (
        "2 viewports in 1 row × 2 columns: main (axial), secondary “Coronal” (coronal)"
    )
    tall = [
        {"viewport_name": "main", "x": 0, "y": 0, "w": 1, "h": 2},
        {"viewport_name": "secondary", "parent_id": "main"},
    ]
    assert layout_words(tall) == "2 viewports in 2 rows × 1 column: main, secondary"
    assert set(INTERPOLATION_WORDS) == set(INTERPOLATIONS)


def make_both(call):
    config = {"slug": "ct-lung", "title": "CT lung", "settings": {"window_presets": [
        {"title": "Lung", "width": 1500, "center": -600}], "default_window_preset": "Lung"}}  # fmt: skip
    ok(call("POST", "viewer-configurations", "researcher", config), 201)
    protocol = {"slug": "axial-coronal", "title": "Axial and coronal", "layout": TWO_VIEWPORTS}
    ok(call("POST", "hanging-protocols", "researcher", protocol), 201)


def test_researchers_get_forms_and_others_read_only_pages(app):  # noqa: F811  # the imported fixture
    make_both(app.call)
    page = fetch(app, PAGES, "researcher").body.decode()
    assert "New viewer configuration" in page and "New hanging protocol" in page
    assert "Lung: width 1500, centre -600" in page and "1 row × 2 columns" in page
    page = fetch(app, PAGES, "clinician").body.decode()
    assert "CT lung" in page and "New viewer configuration" not in page
    assert fetch(app, f"{PAGES}/viewer-configuration", "clinician").code == 403
    new = fetch(app, f"{PAGES}/hanging-protocol", "researcher").body.decode()
    assert "Create hanging protocol" in new and 'id="slug"' in new
    for kind in ("viewer-configuration/ct-lung", "hanging-protocol/axial-coronal"):
        mine = fetch(app, f"{PAGES}/{kind}", "researcher").body.decode()
        assert "Save changes" in mine and "<fieldset >" in mine
        theirs = fetch(app, f"{PAGES}/{kind}", "clinician").body.decode()
        assert "Save changes" not in theirs and "<fieldset disabled>" in theirs
        assert "only researcher or a hub admin may change it" in theirs
    assert fetch(app, f"{PAGES}/hanging-protocol/nothing", "researcher").code == 404


def test_an_archive_is_shown_with_a_viewer_configuration_and_a_hanging_protocol(app):  # noqa: F811
    call = app.call
    make_both(call)
    ok(call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"}), 201)
    ok(call("POST", "archives/lungs/members", "researcher", {"username": "clinician", "role": "user"}), 201)
    change = {"viewer_configuration": "ct-lung", "hanging_protocol": "axial-coronal"}
    archive = ok(call("PATCH", "archives/lungs", "researcher", change))
    assert (archive["viewer_configuration"], archive["hanging_protocol"]) == ("ct-lung", "axial-coronal")
    listed = ok(call("GET", "archives", "researcher"))["results"][0]
    assert (listed["viewer_configuration"], listed["hanging_protocol"]) == ("ct-lung", "axial-coronal")
    status, reply = call("PATCH", "archives/lungs", "researcher", {"hanging_protocol": "nope"})
    assert status == 422 and "no hanging protocol 'nope'" in reply["message"]
    assert call("PATCH", "archives/lungs", "clinician", {"hanging_protocol": ""})[0] == 403
    ok(call("DELETE", "hanging-protocols/axial-coronal", "researcher"), 204)
    assert ok(call("GET", "archives/lungs", "clinician"))["hanging_protocol"] is None

    page = "/services/archives/archives/lungs"
    assert 'id="archive-viewing"' not in fetch(app, page, "clinician").body.decode()
    response = form_post(
        app, page, "researcher", {"action": "viewing", "viewer_configuration": "", "hanging_protocol": ""}
    )
    assert response.code == 302
    assert ok(call("GET", "archives/lungs", "researcher"))["viewer_configuration"] is None
    response = form_post(app, page, "researcher", {"action": "viewing", "viewer_configuration": "gone"})
    assert response.code == 422 and "no viewer configuration" in response.body.decode()
