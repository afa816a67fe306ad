"""Browser journeys through evaluation records: import real Inspect logs, preview, read charts.

The logs are the real Inspect logs of ``tests/evaluations/conftest.py`` (produced once per
session by ``inspect_ai``'s mockllm in a subprocess); its fixtures are imported here so that
pytest registers them for this module too.

The account is an English-speaking US-CAISI one that no other journey locks or changes the
language of (see test_journeys.py and test_wiki_journeys.py).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from exchange.demo import DEMO_PASSWORD
from tests.evaluations import conftest as evaluation_fixtures

# tests/evaluations/conftest.py is not a conftest of tests/e2e: bound here, its session fixtures
# are registered for this module too (in a full run the logs are then produced twice, once
# for each place the fixtures are defined).
inspect_manifest = evaluation_fixtures.inspect_manifest
inspect_logs = evaluation_fixtures.inspect_logs

IMPORTER = "coordinator@us-caisi.example"  # Jordan Lee (coordinator), English interface

INCOMPLETE_NOTE = "Imported as an incomplete run, never as a success."


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def upload_folder(live_server, tmp_path_factory):
    """Keep this module's uploads (staged and imported logs) out of the instance folder."""
    config = live_server.app.config
    original = config.get("UPLOAD_FOLDER")
    config["UPLOAD_FOLDER"] = str(tmp_path_factory.mktemp("e2e-uploads"))
    yield config["UPLOAD_FOLDER"]
    config["UPLOAD_FOLDER"] = original


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button and wait for the page it leads to; return its response."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def follow(page: Page, link: Locator) -> None:
    with page.expect_navigation():
        link.click()


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def sign_in(page: Page, email: str) -> None:
    """Sign in through the form and check the interface is English."""
    page.goto("/sign-in")
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    response = submit(
        page, page.get_by_role("main").get_by_role("button", name="Sign in", exact=True)
    )
    assert response.ok, response.status
    expect(page.get_by_role("banner").locator("details.menu > summary")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def upload(page: Page, *paths: Path) -> Response:
    """Choose ``paths`` at once in the upload form and read them; land on the preview."""
    expect(page.get_by_role("heading", name="Import Inspect logs", exact=True)).to_be_visible()
    page.get_by_label("Inspect logs (.eval or .json)", exact=True).set_input_files(
        [str(p) for p in paths]
    )
    response = submit(page, main(page).get_by_role("button", name="Read the logs", exact=True))
    expect(page.get_by_role("heading", name="Check the import", exact=True)).to_be_visible()
    return response


def preview_row(page: Page, path: Path) -> Locator:
    """The preview table row of one uploaded file (its row header is the file name)."""
    header = page.get_by_role("rowheader", name=path.name, exact=True)
    return main(page).get_by_role("row").filter(has=header)


def cell(row: Locator, text: str) -> Locator:
    """The cell of ``row`` whose whole text is ``text``."""
    return row.get_by_role("cell", name=text, exact=True)


def provenance_table(page: Page) -> Locator:
    """The record's provenance table (the only one with an "Inspect" version column)."""
    inspect_column = page.get_by_role("columnheader", name="Inspect", exact=True)
    return main(page).get_by_role("table").filter(has=inspect_column)


def open_importer(page: Page) -> None:
    """Evaluations (header navigation), then "Import Inspect logs"."""
    nav = page.get_by_role("navigation", name="Main", exact=True)
    follow(page, nav.get_by_role("link", name="Evaluations", exact=True))
    expect(page.get_by_role("heading", name="Evaluations", exact=True, level=1)).to_be_visible()
    follow(page, main(page).get_by_role("link", name="Import Inspect logs", exact=True))


# --------------------------------------------------------------------------------------------
# Journeys
# --------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_import_inspect_logs_preview_record_and_chart(live_server, page, inspect_logs):
    """Upload two Inspect logs, check the preview, import, read the chart; re-imports are caught."""
    success = inspect_logs["success_eval"]  # task "arith", accuracy 4/6
    epochs = inspect_logs["epochs_eval"]  # task "two_scorers": same run id, another task id
    cancelled = inspect_logs["cancelled_json"]  # the success run rewritten as "cancelled"
    title = f"Arithmetic e2e {uuid.uuid4().hex[:8]}"

    sign_in(page, IMPORTER)
    open_importer(page)

    # Two distinct runs at once: the preview shows what each contains before anything is made.
    upload(page, success, epochs)
    row = preview_row(page, success)
    expect(cell(row, "arith")).to_be_visible()
    expect(cell(row, "mockllm/model")).to_be_visible()
    expect(row).to_contain_text("6 / 6")
    expect(row).to_contain_text("accuracy = 0.667")
    expect(row.locator(".badge")).to_have_text(["success"])
    expect(row).not_to_contain_text(INCOMPLETE_NOTE)
    row = preview_row(page, epochs)
    expect(cell(row, "two_scorers")).to_be_visible()
    expect(cell(row, "mockllm/model")).to_be_visible()
    expect(row).to_contain_text("3 epochs")
    expect(row).to_contain_text("accuracy = 0.6")
    expect(main(page)).not_to_contain_text("already imported")

    page.get_by_label("Title of the new record", exact=True).fill(title)
    submit(page, main(page).get_by_role("button", name="Import", exact=True))

    # The new record: its title, a chart per benchmark and metric, the table, the provenance.
    expect(page).to_have_url(re.compile(r"/evaluations/[^/]+$"))
    expect(page.get_by_role("status")).to_contain_text("2 runs imported, 0 duplicates skipped.")
    expect(page.get_by_role("heading", name=title, exact=True, level=1)).to_be_visible()
    record_url = page.url
    results = page.locator("#results")
    expect(results.locator("svg[role=img]")).to_have_count(3)  # arith 1 metric, two_scorers 2
    chart = results.get_by_role("img", name=re.compile(r"^arith · accuracy\b"))
    expect(chart).to_have_count(1)
    expect(chart).to_have_js_property("tagName", "svg")
    expect(chart).to_have_attribute("aria-labelledby", re.compile(r"\S+-title$"))
    expect(chart).to_have_attribute("aria-describedby", re.compile(r"\S+-desc$"))
    # Named by its <title>, described by its <desc> (which states each point).
    expect(chart).to_have_accessible_description(re.compile(r"\bmockllm\/model: 67%"))
    table = results.get_by_role("table").filter(
        has=page.locator("caption", has_text=re.compile(r"^\s*arith · accuracy\s*$"))
    )
    expect(table).to_have_count(1)
    model_row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="mockllm/model", exact=True)
    )
    expect(model_row).to_have_count(1)
    expect(model_row).to_contain_text("evaluated")
    expect(model_row).to_contain_text("66.7%")
    expect(model_row).to_contain_text(success.name)
    for scorer in ("match", "includes"):  # two scorers: one chart per scorer's metric
        name = f"two_scorers · {scorer}/accuracy"
        expect(results.get_by_role("img", name=name, exact=True)).to_have_count(1)
    provenance = provenance_table(page)
    for path in (success, epochs):
        expect(provenance.get_by_role("link", name=path.name, exact=True)).to_be_visible()
    expect(provenance.locator(".badge")).to_have_text(["success", "success"])

    # The cancelled rewrite of the same run: shown as cancelled, recognised as already imported.
    open_importer(page)
    upload(page, cancelled)
    row = preview_row(page, cancelled)
    expect(cell(row, "arith")).to_be_visible()
    expect(cell(row, "mockllm/model")).to_be_visible()
    expect(row).to_contain_text("accuracy = 0.667")
    expect(row.locator(".badge", has_text="cancelled")).to_have_text("cancelled")
    expect(row).not_to_contain_text(INCOMPLETE_NOTE)  # nothing will be imported
    expect(row).to_contain_text("already imported")
    expect(row.get_by_role("link", name=title, exact=True)).to_have_attribute(
        "href", re.compile(re.escape(record_url.removeprefix(live_server.url)) + "$")
    )
    expect(main(page)).to_contain_text("Nothing new to import.")
    expect(main(page).get_by_role("button", name="Import", exact=True)).to_have_count(0)

    # The same success log again: already imported, nothing new.
    follow(page, main(page).get_by_role("link", name="Start again", exact=True))
    upload(page, success)
    row = preview_row(page, success)
    expect(row).to_contain_text("already imported")
    expect(row.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(main(page)).to_contain_text("Nothing new to import.")
    expect(main(page).get_by_role("button", name="Import", exact=True)).to_have_count(0)


@pytest.mark.e2e
def test_same_run_twice_in_one_upload_is_imported_once(page, inspect_logs, tmp_path):
    """A run and its cancelled rewrite uploaded together: one run is imported, one skipped."""
    # A fresh run (new run and task ids, so the other journey's imports do not interfere),
    # written twice from the cancelled Inspect log: once as "success", once as "cancelled".
    log = json.loads(inspect_logs["cancelled_json"].read_text())
    log["eval"]["run_id"] = f"e2e{uuid.uuid4().hex[:19]}"
    log["eval"]["task_id"] = f"e2e{uuid.uuid4().hex[:19]}"
    finished, stopped = tmp_path / "same-run-success.json", tmp_path / "same-run-cancelled.json"
    for path, status in ((finished, "success"), (stopped, "cancelled")):
        path.write_text(json.dumps({**log, "status": status}))
    title = f"Same run e2e {uuid.uuid4().hex[:8]}"

    sign_in(page, IMPORTER)
    open_importer(page)
    upload(page, finished, stopped)
    row = preview_row(page, finished)
    expect(cell(row, "arith")).to_be_visible()
    expect(row.locator(".badge")).to_have_text(["success"])
    row = preview_row(page, stopped)
    expect(cell(row, "arith")).to_be_visible()
    expect(row.locator(".badge", has_text="cancelled")).to_have_text("cancelled")
    expect(row).to_contain_text(INCOMPLETE_NOTE)

    # The preview reads each file on its own; the import recognises the run once per batch.
    page.get_by_label("Title of the new record", exact=True).fill(title)
    submit(page, main(page).get_by_role("button", name="Import", exact=True))
    expect(page.get_by_role("status")).to_contain_text("1 run imported, 1 duplicate skipped.")
    expect(page.get_by_role("heading", name=title, exact=True, level=1)).to_be_visible()
    provenance = provenance_table(page)
    expect(provenance.get_by_role("row")).to_have_count(2)  # header and the one run
    expect(provenance.get_by_role("link", name=finished.name, exact=True)).to_be_visible()
    expect(provenance).not_to_contain_text(stopped.name)
    expect(provenance.locator(".badge")).to_have_text(["success"])
