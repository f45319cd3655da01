"""Owner lists users keep: each format on a small file written here, and bad files."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trafficscope.attribution import build_attributor, load_owner_file
from trafficscope.attribution.importers import map_category, signature_parts
from trafficscope.errors import ReadError

TDS = {
    "trackers": {
        "adnetwork.example": {
            "domain": "adnetwork.example", "default": "block",
            "owner": {"name": "Ad Network Ltd", "displayName": "Ad Network",
                      "privacyPolicy": "", "url": "https://adnetwork.example"},
            "prevalence": 0.01, "fingerprinting": 2, "cookies": 0.01,
            "categories": ["Analytics", "Advertising"], "rules": []},
        "umeng.com": {"domain": "umeng.com", "owner": {"name": "Alibaba Group"},
                      "categories": ["Audience Measurement"]},
        "bad..domain": {"domain": "bad..domain", "owner": {"name": "X"}},
    },
    "entities": {
        "Ad Network Ltd": {"domains": ["adnetwork.example", "adnet-cdn.example"],
                           "displayName": "Ad Network", "prevalence": 0.5},
    },
    "domains": {"adnetwork.example": "Ad Network Ltd"},
    "cnames": {},
}

DISCONNECT = {
    "license": "GPL-3.0",
    "categories": {
        "Advertising": [{"Ad Network": {"https://adnetwork.example/": [
            "adnetwork.example", "adnet-sync.example"]}}],
        "Analytics": [{"Ad Network": {"https://adnetwork.example/": ["adnetwork.example"],
                                      "performance": "true"}},
                      {"Stats Co": {"https://stats.example/": ["stats.example"]}}],
        "Content": [{"Video Co": {"https://video.example/": ["video.example"]}}],
    },
}

EXODUS = {"trackers": {
    "67": {"id": 67, "name": "Tiny Analytics", "description": "", "creation_date": "2018-01-01",
           "code_signature": "com.tiny.analytics", "website": "https://tiny.example",
           "network_signature": r"tiny\.example|\.tinycdn\.example|^t[0-9]+\.stats\.example$",
           "categories": ["Analytics", "Profiling"]},
    "68": {"id": 68, "name": "Crashy", "code_signature": "io.crashy", "network_signature":
           "crashy.example", "categories": ["Crash reporting"]},
    "69": {"id": 69, "name": "Code only", "code_signature": "com.x", "network_signature": "",
           "categories": []},
    "70": {"id": 70, "name": "Broken", "network_signature": "(unclosed", "categories": []},
}}


def write(tmp_path: Path, name: str, obj: object) -> Path:
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return p


def test_tds(tmp_path: Path) -> None:
    fmt, rows, patterns = load_owner_file(write(tmp_path, "tds.json", TDS))
    assert fmt == "tds" and patterns == []
    by = {r.domain: r for r in rows}
    assert set(by) == {"adnetwork.example", "adnet-cdn.example", "umeng.com"}
    assert (by["adnetwork.example"].organisation, by["adnetwork.example"].category) == (
        "Ad Network", "advertising")                 # advertising outranks analytics
    assert (by["adnet-cdn.example"].organisation, by["adnet-cdn.example"].category) == (
        "Ad Network", None)                          # from entities -> domains
    assert by["umeng.com"].category == "analytics"
    a = build_attributor("com.example.app", owner_files=[tmp_path / "tds.json"], countries=False)
    rec = a.recipient("sdk.adnetwork.example")
    assert (rec.owner, rec.category, rec.party) == ("Ad Network", "advertising", "third")
    # the imported umeng.com row replaced the bundled one; Alibaba's seat still known
    rec = a.recipient("ulogs.umeng.com")
    assert (rec.owner, rec.owner_country) == ("Alibaba Group", "CN")


def test_tracker_radar_domain_and_entity_files(tmp_path: Path) -> None:
    domain_file = {"domain": "adnetwork.example", "owner": {"name": "Ad Network Ltd",
                   "displayName": "Ad Network"}, "source": ["DDG"], "prevalence": 0.01,
                   "categories": ["Action Pixels"], "resources": []}
    fmt, rows, _ = load_owner_file(write(tmp_path, "adnetwork.example.json", domain_file))
    assert fmt == "radar-domain"
    assert [(r.domain, r.organisation, r.category) for r in rows] == [
        ("adnetwork.example", "Ad Network", "advertising")]
    entity = {"name": "Ad Network Ltd", "displayName": "Ad Network",
              "properties": ["adnetwork.example", "adnet-static.example"],
              "prevalence": {"tracking": 0.1}}
    fmt, rows, _ = load_owner_file(write(tmp_path, "Ad Network Ltd.json", entity))
    assert fmt == "radar-entity"
    assert sorted((r.domain, r.organisation) for r in rows) == [
        ("adnet-static.example", "Ad Network"), ("adnetwork.example", "Ad Network")]


def test_disconnect(tmp_path: Path) -> None:
    fmt, rows, patterns = load_owner_file(write(tmp_path, "services.json", DISCONNECT))
    assert fmt == "disconnect" and patterns == []
    by = {r.domain: (r.organisation, r.category) for r in rows}
    assert by == {
        "adnetwork.example": ("Ad Network", "advertising"),   # listed twice: advertising wins
        "adnet-sync.example": ("Ad Network", "advertising"),
        "stats.example": ("Stats Co", "analytics"),
        "video.example": ("Video Co", None),                   # Content maps to nothing
    }


def test_exodus(tmp_path: Path) -> None:
    fmt, rows, patterns = load_owner_file(write(tmp_path, "trackers.json", EXODUS))
    assert fmt == "exodus"
    assert sorted((r.domain, r.organisation, r.category) for r in rows) == [
        ("crashy.example", "Crashy", "crash-reporting"),
        ("tiny.example", "Tiny Analytics", "analytics"),
        ("tinycdn.example", "Tiny Analytics", "analytics"),
    ]
    assert [p.pattern for p, _ in patterns] == [r"^t[0-9]+\.stats\.example$"]  # broken skipped
    a = build_attributor(owner_files=[tmp_path / "trackers.json"], countries=False)
    assert a.recipient("t42.stats.example").owner == "Tiny Analytics"   # by regex
    assert a.recipient("x.stats.example").owner is None
    assert a.recipient("eu.tinycdn.example").owner == "Tiny Analytics"
    assert a.recipient("ulogs.umeng.com").owner == "Alibaba"           # bundled still there


def test_owners_csv_and_later_files_win(tmp_path: Path) -> None:
    write(tmp_path, "mine.csv", "# my notes\ndomain,organisation,category,country,source\n"
          "tiny.example,Tiny Inc,analytics,fr,my audit\n")
    fmt, rows, _ = load_owner_file(tmp_path / "mine.csv")
    assert fmt == "csv" and rows[0].country == "FR"
    write(tmp_path, "trackers.json", EXODUS)
    a = build_attributor(owner_files=[tmp_path / "trackers.json", tmp_path / "mine.csv"],
                         countries=False)
    assert a.recipient("tiny.example").owner == "Tiny Inc"


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "invalid JSON"),
    ('{"hello": "world"}', "not a known owner list"),
    ("[1, 2, 3]", "not a known owner list"),
    ("just some text\n", "not a known owner list"),
    ('{"trackers": {"1": {"name": "x", "network_signature": ""}}}', "names no domain"),
    ("domain,organisation\n,Nobody\n", "row 2"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON"),      # deep nesting stays a ReadError
    ('{"trackers": {"1": {"name": "x", "network_signature": "a.example", "categories": 5}},'
     ' "z": 1}', None),                                   # odd types are ignored, not fatal
    ('{"trackers": {"a.example": {"owner": {"name": 1}, "categories": 5}}}', "names no domain"),
    ('{"name": "Org", "properties": 7}', "not a known owner list"),
    ('{"entities": {"Org": {"domains": 3}}, "domains": {}}', "names no domain"),
])
def test_bad_files_are_read_errors(tmp_path: Path, content: str, reason: str | None) -> None:
    p = write(tmp_path, "list.json", content)
    if reason is None:
        assert load_owner_file(p)[1][0].domain == "a.example"
        return
    with pytest.raises(ReadError, match=reason) as e:
        load_owner_file(p)
    assert str(p) in str(e.value)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00\x01" * 10)
    with pytest.raises(ReadError, match="not UTF-8"):
        load_owner_file(tmp_path / "blob.bin")
    with pytest.raises(ReadError, match="No such file"):
        load_owner_file(tmp_path / "missing.json")


@pytest.mark.parametrize(("signature", "domains", "regexes"), [
    (r"umeng\.com|umengcloud\.com", ["umeng.com", "umengcloud.com"], []),
    (r"\.jpush\.cn|^api\.jiguang\.cn$", ["jpush.cn", "api.jiguang.cn"], []),
    ("bugly.qq.com", ["bugly.qq.com"], []),
    (r"ads[0-9]+\.x\.com", [], [r"ads[0-9]+\.x\.com"]),
    ("", [], []),
])
def test_signature_parts(signature: str, domains: list[str], regexes: list[str]) -> None:
    assert signature_parts(signature) == (domains, regexes)


def test_map_category() -> None:
    assert map_category(["Analytics", "Advertisement"]) == "advertising"
    assert map_category(["Crash reporting"]) == "crash-reporting"
    assert map_category(["Something else"]) is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["trackers", "entities", "domains", "categories",
                                       "domain", "owner", "name", "displayName",
                                       "properties", "network_signature", "x"]) | st.text(
                          max_size=6), inner, max_size=4),
    max_leaves=25)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=_json)
def test_any_json_gives_rows_or_a_read_error(tmp_path: Path, obj: object) -> None:
    p = write(tmp_path, "fuzz.json", json.dumps(obj))
    try:
        fmt, rows, _patterns = load_owner_file(p)
    except ReadError as e:
        assert str(p) in str(e)
        return
    assert fmt in ("exodus", "tds", "radar-domain", "radar-entity", "disconnect")
    assert all(r.domain and r.organisation for r in rows)
