"""The 2018 data transcribed from the seed (附件1, 附件2), and the loader's refusals."""
import copy
from decimal import Decimal

import pytest

from kaohe_flow.extensions import db
from kaohe_flow.scheme.loader import DATA_DIR, DataError, load_org, load_scheme, read_yaml, seed_all, validate_org

ORG = read_yaml(DATA_DIR / "org_2018.yaml")
SCHEME = read_yaml(DATA_DIR / "scheme_2018.yaml")

UNIT_CODES = ["dwb", "bgs", "rjk", "csk", "czjsk", "fcglk", "gysyk", "jgk", "fzglk", "szc", "rgz", "fgc",
              "kfb", "jgzx", "cjjcdd", "ztbglk", "stzx", "cjdag", "qszx"]
GATES = {"dwb": "rjk", "bgs": "rjk", "rjk": "dwb", "csk": "rjk", "czjsk": "rjk", "fcglk": "rjk", "gysyk": "rjk",
         "jgk": "rjk", "fzglk": "rjk", "szc": "gysyk", "rgz": "gysyk", "fgc": "fcglk", "kfb": "fcglk",
         "jgzx": "jgk", "cjjcdd": "jgk", "ztbglk": "jgk", "stzx": "jgk", "cjdag": "jgk", "qszx": "jgk"}
ITEMS = {"targets": ("30", ["rjk"]), "team": ("2", ["dwb"]), "study": ("4", ["dwb", "cjjcdd"]),
         "info_mgmt": ("5", ["bgs"]), "info_publicity": ("7", ["bgs", "dwb"]), "website": ("5", ["bgs"]),
         "discipline": ("10", ["rjk", "dwb"]), "legal_edu": ("2", ["cjjcdd"]), "integrity": ("5", ["dwb"]),
         "rule_of_law": ("5", ["cjjcdd", "dwb"]), "efficiency": ("10", ["dwb", "bgs", "cjjcdd"]),
         "proposals": ("2", ["bgs"]), "public_opinion": ("5", ["dwb", "cjjcdd", "bgs"]),
         "archives": ("2", ["bgs"]), "assets": ("2", ["bgs"]), "hygiene": ("2", ["bgs"]), "charity": ("2", ["dwb"])}


def test_nineteen_units_with_their_codes_in_the_seeds_order(api):
    units = api.as_("director").get("/api/v1/units").get_json()["items"]
    assert [u["code"] for u in units] == UNIT_CODES


def test_gate_map_of_attachment_1(api):
    units = api.as_("director").get("/api/v1/units").get_json()["items"]
    assert {u["code"]: u["gate_unit"] for u in units} == GATES


def test_renjiaoke_and_dangweiban_gate_each_other_and_no_unit_gates_itself(api):
    units = {u["code"]: u for u in api.as_("director").get("/api/v1/units").get_json()["items"]}
    assert units["rjk"]["gate_unit"] == "dwb" and units["dwb"]["gate_unit"] == "rjk"
    assert all(u["gate_unit"] != code for code, u in units.items())


def test_aliases_used_by_the_attachments(api):
    units = {u["code"]: u for u in api.as_("director").get("/api/v1/units").get_json()["items"]}
    assert units["dwb"]["aliases"] == ["党办"]
    assert units["csk"]["aliases"] == ["财务科"]
    assert "政策法规科" in units["cjjcdd"]["aliases"] and "法规科" in units["cjjcdd"]["aliases"]
    assert units["cjjcdd"]["name"] == "城建监察大队（政策法规科）"


def test_every_unit_has_exactly_one_supervising_leader(api):
    units = api.as_("director").get("/api/v1/units").get_json()["items"]
    assert {u["leader"] for u in units} == {"leader1", "leader2", "leader3", "leader4"}


def test_scheme_2018_has_17_items_worth_100_points(api):
    scheme = api.as_("bgs").get("/api/v1/years/2018/scheme").get_json()
    assert scheme["year"] == 2018 and scheme["total"] == "100"
    assert [i["code"] for i in scheme["items"]] == list(ITEMS)
    assert sum(Decimal(i["standard"]) for i in scheme["items"]) == 100
    basic = [i for i in scheme["items"] if i["category"] == "basic"]
    assert len(basic) == 16 and sum(Decimal(i["standard"]) for i in basic) == 70


@pytest.mark.parametrize("code", list(ITEMS))
def test_item_standard_and_responsible_offices(api, code):
    scheme = api.as_("bgs").get("/api/v1/years/2018/scheme").get_json()
    item = next(i for i in scheme["items"] if i["code"] == code)
    assert (item["standard"], item["responsible"]) == ITEMS[code]
    assert item["method"] and item["rules"]
    assert all(r["kind"] in ("per_occurrence", "zeroing", "target") for r in item["rules"])


def test_targets_item_keeps_its_own_rule_and_all_units_cooperate(api):
    scheme = api.as_("bgs").get("/api/v1/years/2018/scheme").get_json()
    targets = scheme["items"][0]
    assert [r["kind"] for r in targets["rules"]] == ["target"]
    assert targets["cooperating"] == UNIT_CODES


def test_unknown_year_scheme_is_404(api):
    r = api.as_("bgs").get("/api/v1/years/1999/scheme")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_seeding_twice_changes_nothing(app):
    with app.app_context():
        before = db.session.execute(db.text("select count(*) from rules")).scalar()
        seed_all()
        db.session.commit()
        assert db.session.execute(db.text("select count(*) from rules")).scalar() == before
        assert db.session.execute(db.text("select count(*) from units")).scalar() == 19


def _broken_scheme(mutate):
    data = copy.deepcopy(SCHEME)
    mutate(data)
    return data


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["items"][1].update(standard="3"), "add up"),
    (lambda d: d["items"][2].update(code="team"), "duplicate item code"),
    (lambda d: d["items"][3].update(responsible=["nosuch"]), "unknown unit 'nosuch'"),
    (lambda d: d["items"][3]["rules"].append(dict(d["items"][3]["rules"][0])), "duplicate rule id"),
    (lambda d: d["items"][3]["rules"][0].update(kind="bonus"), "unknown kind"),
    (lambda d: d["items"][3]["rules"][0].update(points="0.125"), "points"),
])
def test_loader_refuses_an_inconsistent_scheme_naming_the_problem(app, mutate, message):
    with app.app_context():
        with pytest.raises(DataError, match=message):
            load_scheme(_broken_scheme(mutate))
        db.session.rollback()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["units"][0].update(gate="dwb"), "cannot gate itself"),
    (lambda d: d["units"][1].update(gate="nosuch"), "unknown gate unit"),
    (lambda d: d["units"][2].update(code="dwb"), "duplicate unit code"),
    (lambda d: d["units"][3].update(aliases=["党办"]), "used by both"),
])
def test_loader_refuses_an_inconsistent_org_naming_the_problem(app, mutate, message):
    data = copy.deepcopy(ORG)
    mutate(data)
    with pytest.raises(DataError, match=message):
        validate_org(data)
    with app.app_context():
        with pytest.raises(DataError):
            load_org(data)
        db.session.rollback()
