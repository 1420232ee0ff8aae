"""Unit names resolve as the seed and the bureau's spreadsheets write them (issue 10, 8): every
alias, 信息中心 for 办公室 (附件2, 附件5: 办公室（信息中心）), half- or full-width brackets, and
spaces or a line break inside a name."""
import pytest

from kaohe_flow.org.queries import resolve_unit


@pytest.mark.parametrize("written, code", [
    ("信息中心", "bgs"),
    ("办公室（信息中心）", "bgs"),
    ("办公室(信息中心)", "bgs"),
    ("城建监察大队（法规科）", "cjjcdd"),
    ("城建监察大队(法规科)", "cjjcdd"),
    ("城建监察大队\n（法规科）", "cjjcdd"),
    ("城建监察大队（政策法规科）", "cjjcdd"),
    ("招投标管理科 (造价处)", "ztbglk"),
    (" 党 办 ", "dwb"),
    ("财务科", "csk"),
])
def test_a_name_as_people_write_it_finds_its_unit(app, written, code):
    with app.test_request_context():
        assert resolve_unit(written).code == code


@pytest.mark.parametrize("written", ["办公室（人教科）", "信息科", "", "（）", None, 12])
def test_a_name_that_names_no_unit_or_two_finds_none(app, written):
    with app.test_request_context():
        assert resolve_unit(written) is None


def test_the_api_takes_a_name_broken_over_two_lines(api):
    assert api.as_("admin").get("/api/v1/deductions?year=2018&unit=城建监察大队%0A（法规科）").status_code == 200
    r = api.as_("admin").get("/api/v1/deductions?year=2018&unit=信息科")
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "unknown_unit")
