"""The plain-language summary and the rows of the report."""

from __future__ import annotations

import pandas as pd

from trafficscope.report import facts

from .test_charts import finding, frame

IMEI_4_ORGS = frame(
    finding(ts=100.0, owner="Alpha", country="US", domain="a.example"),
    finding(ts=110.0, owner="Beta", country="CN", domain="b.example"),
    finding(ts=120.0, owner="Gamma", country="CN", domain="c.example"),
    finding(ts=130.0, owner="Alpha", country="US", domain="a2.example"),  # same owner
    finding(ts=300.0, owner="Delta", country="US", domain="d.example"),
    finding(ts=140.0, pii_type="EMAIL", domain="shop.example", party="first"),
)
CONSENT = pd.DataFrame({"ts": [200.0, 250.0], "name": ["app start", "Consent given"]})


def test_summary_sentence_counts_organisations_countries_and_consent() -> None:
    consent = facts.consent_time(CONSENT)
    assert consent == 250.0
    said = facts.sentences(IMEI_4_ORGS, consent)
    assert said[0].entity == "IMEI"
    assert said[0].text == ("The app sent the IMEI (phone serial number) to 4 organisations "
                            "in 2 countries, 3 of them before consent")
    assert said[0].names == ("Alpha", "Beta", "Gamma", "Delta")
    assert said[1].text == "The app sent the email address to 1 organisation, before consent"
    late = facts.sentences(IMEI_4_ORGS, 50.0)
    assert late[0].text.endswith("in 2 countries, none of them before consent")


def test_summary_without_attribution_or_marks() -> None:
    df = IMEI_4_ORGS.assign(owner=None, country=None)
    said = facts.sentences(df, facts.consent_time(pd.DataFrame(columns=["ts", "name"])))
    assert said[0].text == "The app sent the IMEI (phone serial number) to 5 organisations"
    assert said[0].names == ("a.example", "b.example", "c.example", "a2.example")
    assert said[0].more == 1
    assert facts.consent_time(CONSENT.iloc[:1]) is None  # no consent mark


def test_headlines() -> None:
    flows = pd.DataFrame({"ts": [1.0, 2.0]})
    assert facts.headline("app", IMEI_4_ORGS, flows) == (
        "app sent 2 kinds of personal data to 5 organisations, 4 of them third parties, "
        "in 2 requests.")
    assert "holds no traffic" in facts.headline("app", frame(), pd.DataFrame())
    assert facts.headline("app", frame(), flows).startswith(
        "No personal data was found in the 2 requests")


def test_values_hidden_unless_revealed() -> None:
    df = frame(finding(value_masked="j***@***.org", value_sha256="f" * 64,
                       url="https://api.example/u/j***@***.org/x"))
    hidden = facts.finding_rows(df, 0.0, reveal=False)[0]
    assert hidden["value"] == "••••••••" and hidden["hash"] == "f" * 10
    assert hidden["url"] == "https://api.example/u/••••/x"
    shown = facts.finding_rows(df, 0.0, reveal=True)[0]
    assert shown["value"] == "j***@***.org" and shown["hash"] == "f" * 64
    assert shown["url"] == "https://api.example/u/j***@***.org/x"


def test_clock_and_metadata_never_show_profile_values() -> None:
    assert facts.clock(0) == "0:00" and facts.clock(125.4) == "2:05"
    assert facts.clock(3725) == "1:02:05"
    session = {"id": "s1", "app": None, "source": "files", "created": 0.0,
               "tool_version": "0.1.0", "profile_keys": '["device.imei", "owner.email"]',
               "inputs": '["/home/jane/captures/phone.har"]'}
    meta = dict(facts.metadata(session, pd.DataFrame({"ts": [10.0, 70.0]}),
                               [("schema_version", "1"), ("geoip_date", "2026-11-01")], "0.2"))
    assert meta["Profile keys used"] == "device.imei, owner.email"
    assert meta["Input files"] == "phone.har"  # not the user's folders
    assert meta["Database: geoip_date"] == "2026-11-01"
    assert "Database: schema_version" not in meta
    assert meta["Traffic captured"].endswith("(1:00)")


def test_headline_without_an_app_id() -> None:
    df = IMEI_4_ORGS.assign(party="unknown", app=None)
    app = facts.app_name(df, pd.DataFrame({"app": [None]}), None)
    assert app == "the app"
    assert facts.headline(app, df, pd.DataFrame({"ts": [1.0]})) == (
        "The app sent 2 kinds of personal data to 5 organisations, first or third party not "
        "known (no app id given), in 1 request.")
