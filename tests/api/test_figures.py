"""The stored figures through the API: nothing until a job computes them, then every family,
exports, the chosen-date ladder and bilingual errors; figures checked by hand on the five
sample orders (March 2024, China time)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.conftest import World

# One world per module: keep its tests on one worker, in order (nothing computed comes first).
pytestmark = pytest.mark.xdist_group("figures_api")
FAMILIES = ("operating", "repurchase", "cohorts", "ladder", "channels", "products")


def _table(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in body["tables"] if t["key"] == key)


def _cell(table: dict[str, Any], key: str, row: int = 0) -> Any:
    index = [c["key"] for c in table["columns"]].index(key)
    return table["rows"][row][index]


def _compute(world: World, **body: Any) -> dict[str, Any]:
    client, csrf = world.login("analyst")
    started = client.post("/api/v1/figures/jobs", json=body, headers={"X-CSRF-Token": csrf})
    assert started.status_code == 202, started.text
    world.app.state.jobs.wait(120)
    job = client.get(f"/api/v1/jobs/{started.json()['id']}").json()
    assert job["status"] == "done", job
    return job


def test_pages_before_anything_is_computed(world: World) -> None:
    client, csrf = world.login("read_only")
    for path in ("/channels", "/cohorts"):
        page = client.get(path)
        assert page.status_code == 200 and 'id="no-figures"' in page.text
        assert "计算指标" in page.text and 'action="/figures/compute"' in page.text
    overview = client.get("/overview")
    assert 'id="operating"' in overview.text and "计算指标" in overview.text
    assert client.post("/figures/compute", data={"page": "channels"}).status_code == 403  # CSRF
    bad = client.post("/figures/ladder", data={"csrf_token": csrf, "start": "2024-03-31",
                                                "end": "2024-03-01"})  # fmt: skip
    assert bad.status_code == 422 and "必须早于" in bad.text
    assert world.login("customer_service")[0].get("/channels").status_code == 403


@pytest.fixture(scope="module")
def computed(world: World) -> World:
    """The world with nothing computed checked first, then every grain computed."""
    client, _ = world.login("analyst")
    missing = client.get("/api/v1/figures/channels?grain=month", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "figures.not_computed"
    assert "are computed yet" in missing.json()["error"]["message"]
    zh = client.get("/api/v1/figures/channels?lang=zh-CN").json()["error"]["message"]
    assert "尚未计算" in zh
    assert client.get("/api/v1/figures").json()["latest"] == []
    job = _compute(world)
    assert job["stage"] == "done" and job["fraction"] == 1.0
    return world


def test_status_lists_every_grain(computed: World) -> None:
    client, _ = computed.login("read_only")
    status = client.get("/api/v1/figures").json()
    assert {s["grain"]: s["period"] for s in status["latest"]} == {
        "day": "2024-03-15", "month": "2024-03", "year": "2024",
    }  # fmt: skip
    assert status["periods"]["month"] == ["2024-03"]
    assert status["running_job"] is None


def test_every_family_is_served(computed: World) -> None:
    client, _ = computed.login("analyst")
    for family in FAMILIES:
        body = client.get(f"/api/v1/figures/{family}?grain=month").json()
        assert body["family"] == family and body["period"] == "2024-03"
        assert body["tables"] and all(t["columns"] for t in body["tables"])


def test_repurchase_and_operating_figures_by_hand(computed: World) -> None:
    client, _ = computed.login("analyst")
    body = client.get("/api/v1/figures/repurchase?grain=month").json()
    r = _table(body, "repurchase")
    # Buyer A bought on 1 and 12 March, two others once; the closed, refunded order is none.
    assert (_cell(r, "buyers"), _cell(r, "repeat_buyers")) == (3, 1)
    assert _cell(r, "rate") == pytest.approx(1 / 3)
    assert _cell(r, "median_cycle") == 11  # 1 → 12 March, China days
    funnel = _table(body, "funnel")
    assert [row[1] for row in funnel["rows"]] == [3, 1, 0, 0, 0]
    overview = _table(client.get("/api/v1/figures/operating?grain=month").json(), "overview")
    # net paid, in fen: 158.00 + (299.00 + 2 × 39.90 + 8.00 shipping − 79.80 refunded)
    # + 2,598.00 + (316.00 + 39.90)
    assert _cell(overview, "gmv") == 15800 + 30700 + 259800 + 35590
    assert (_cell(overview, "orders"), _cell(overview, "buyers")) == (4, 3)
    assert isinstance(_cell(overview, "aov"), int)  # money is integer fen
    assert _cell(overview, "aov") == round(341890 / 4)


def test_labels_follow_the_callers_language(computed: World) -> None:
    client, _ = computed.login("analyst")
    en = client.get("/api/v1/figures/channels?lang=en").json()["tables"][0]
    zh = client.get("/api/v1/figures/channels?lang=zh-CN").json()["tables"][0]
    assert en["title"] == "Channel economics" and zh["title"] == "渠道经济"
    assert en["rows"][0][0] == "(no channel)" and zh["rows"][0][0] == "（无渠道）"
    assert _cell(en, "joiners") == 1  # the one contact, with no channel


def test_exports_write_yuan(computed: World) -> None:
    client, _ = computed.login("analyst")
    got = client.get("/api/v1/figures/tables/overview/export?grain=month&format=csv&lang=en")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Period", "GMV (¥)"]
    assert rows[1][:2] == ["2024-03", "3418.90"]
    book = client.get("/api/v1/figures/tables/funnel/export?grain=month&format=xlsx")
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and [c.value for c in sheet[2]][:2] == [1, 3]
    unknown = client.get("/api/v1/figures/tables/nope/export")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "figures.table_not_found"


def test_ladder_between_two_dates(computed: World) -> None:
    client, csrf = computed.login("operator")
    headers = {"X-CSRF-Token": csrf}
    assert client.get("/api/v1/figures/ladder-between").status_code == 404
    bad = client.post("/api/v1/figures/ladder-between/jobs?lang=zh-CN", headers=headers,
                      json={"start": "2024-03-20", "end": "2024-03-01"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "figures.ladder_dates"
    assert "必须早于" in bad.json()["error"]["message"]
    assert client.get("/api/v1/figures/ladder-between").status_code == 404  # nothing stored
    started = client.post("/api/v1/figures/ladder-between/jobs", headers=headers,
                          json={"start": "2024-02-29", "end": "2024-03-31"})  # fmt: skip
    assert started.status_code == 202
    computed.app.state.jobs.wait(120)
    body = client.get("/api/v1/figures/ladder-between?lang=en").json()
    assert (body["start"], body["end"]) == ("2024-02-29", "2024-03-31")
    moves = _table(body, "ladder_moves")
    # before March nobody had bought; by its end A is a repeat buyer and two bought once
    # (the closed order's buyer stays outside); A's contact joined on 1 March
    assert (_cell(moves, "moved_up"), _cell(moves, "moved_down")) == (3, 0)
    assert (_cell(moves, "pool_start"), _cell(moves, "joined_pool")) == (0, 1)
    sheet = client.get("/api/v1/figures/ladder-between/ladder_moves/export?format=csv&lang=en")
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Moved up,Moved down") and lines[1].startswith("3,0,")


def test_a_job_running_is_not_started_twice(computed: World) -> None:
    client, csrf = computed.login("admin")
    first = client.post("/api/v1/figures/jobs", json={"grain": "day"},
                        headers={"X-CSRF-Token": csrf}).json()  # fmt: skip
    again = client.post("/api/v1/figures/jobs", json={"grain": "day"},
                        headers={"X-CSRF-Token": csrf}).json()  # fmt: skip
    computed.app.state.jobs.wait(120)
    assert first["id"] == again["id"] or first["status"] != "queued"
    bad = client.post("/api/v1/figures/jobs", json={"grain": "week"},
                      headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request.invalid"


def test_pages_show_the_stored_figures(computed: World) -> None:
    client, csrf = computed.login("operator")
    form = {"csrf_token": csrf, "page": "cohorts", "grain": "year"}
    started = client.post("/figures/compute", data=form, follow_redirects=False)
    assert started.status_code == 303
    assert started.headers["location"].startswith("/cohorts?grain=year&job=")
    computed.app.state.jobs.wait(120)
    cohorts = client.get(started.headers["location"]).text
    assert 'data-status="done"' in cohorts and 'id="computed-at"' in cohorts
    assert "2024 的指标" in cohorts and 'data-table="funnel"' in cohorts
    assert 'id="chart-cohorts_purchase"' in cohorts
    channels = client.get("/channels?lang=en").text
    assert "Figures of 2024-03" in channels and 'data-row="(no channel)"' in channels
    overview = client.get("/overview").text
    assert 'id="chart-operating-month"' in overview and 'id="pool-quality"' in overview
