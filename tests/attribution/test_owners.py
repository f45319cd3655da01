"""The bundled owner database: known SDK hosts, subdomains, per-host rows, data hygiene."""

import csv
import io
from importlib import resources

import pytest

from trafficscope.attribution import Owner, OwnerDB, app_organisation, bundled
from trafficscope.attribution.owners import CATEGORIES, org_key


@pytest.mark.parametrize(("host", "organisation", "category", "country"), [
    # Google / Firebase: the registrable domain, a subdomain, per-host rows under googleapis
    ("app-measurement.com", "Google", "analytics", "US"),
    ("googleads.g.doubleclick.net", "Google", "advertising", "US"),   # subdomain of a row
    ("pagead2.googlesyndication.com", "Google", "advertising", "US"),
    ("firebaseinstallations.googleapis.com", "Google", "analytics", "US"),
    ("fcm.googleapis.com", "Google", "push", "US"),
    ("maps.googleapis.com", "Google", "maps", "US"),
    ("storage.googleapis.com", "Google", "cloud", "US"),              # falls back to the domain
    ("settings.crashlytics.com", "Google", "crash-reporting", "US"),
    ("graph.facebook.com", "Meta", "social", "US"),
    ("an.facebook.com", "Meta", "advertising", "US"),                 # Audience Network host
    ("scontent.xx.fbcdn.net", "Meta", "cdn", "US"),
    ("t.appsflyer.com", "AppsFlyer", "attribution", "IL"),
    ("app.adjust.com", "Adjust", "attribution", "DE"),
    ("api2.branch.io", "Branch", "attribution", "US"),
    ("auction.unityads.unity3d.com", "Unity", "advertising", "US"),
    ("init.supersonicads.com", "Unity", "advertising", "US"),         # ironSource
    ("ms.applovin.com", "AppLovin", "advertising", "US"),
    ("net.rayjump.com", "Mobvista", "advertising", "CN"),             # Mintegral
    ("api.vungle.com", "Liftoff", "advertising", "US"),
    ("live.chartboost.com", "Chartboost", "advertising", "US"),
    ("o450123.ingest.sentry.io", "Sentry", "crash-reporting", "US"),
    ("api2.amplitude.com", "Amplitude", "analytics", "US"),
    ("api-js.mixpanel.com", "Mixpanel", "analytics", "US"),
    ("api.segment.io", "Twilio", "analytics", "US"),
    ("us.i.posthog.com", "PostHog", "analytics", "US"),
    # Chinese SDKs
    ("ulogs.umeng.com", "Alibaba", "analytics", "CN"),
    ("msg.umeng.com", "Alibaba", "push", "CN"),                       # per-host row wins
    ("android.bugly.qq.com", "Tencent", "crash-reporting", "CN"),
    ("mi.gdt.qq.com", "Tencent", "advertising", "CN"),
    ("sdk.e.qq.com", "Tencent", "advertising", "CN"),
    ("otheve.beacon.qq.com", "Tencent", "analytics", "CN"),
    ("api.weixin.qq.com", "Tencent", "social", "CN"),
    ("api.mch.weixin.qq.com", "Tencent", "payments", "CN"),           # deeper row beats weixin
    ("mail.qq.com", "Tencent", None, "CN"),                           # plain qq.com
    ("hmma.baidu.com", "Baidu", "analytics", "CN"),
    ("mobads.baidu.com", "Baidu", "advertising", "CN"),
    ("api-access.pangolin-sdk-toutiao.com", "ByteDance", "advertising", "CN"),
    ("api16-access-sg.pangle.io", "ByteDance", "advertising", "CN"),
    ("e.kuaishou.com", "Kuaishou", "advertising", "CN"),
    ("api.jpush.cn", "Aurora Mobile", "push", "CN"),
    ("tsis.jiguang.cn", "Aurora Mobile", "push", "CN"),
    ("sdk-open-phone.getui.com", "Getui", "push", "CN"),
    ("c-hzgt2.igexin.com", "Getui", "push", "CN"),
    ("api.share.mob.com", "MobTech", "social", "CN"),
    ("tdcv3.talkingdata.net", "TalkingData", "analytics", "CN"),
    ("sdk.sensorsdata.cn", "Sensors Data", "analytics", "CN"),
    ("api.growingio.com", "GrowingIO", "analytics", "CN"),
    ("api.xmpush.xiaomi.com", "Xiaomi", "push", "CN"),
    ("push-api.cloud.huawei.com", "Huawei", "push", "CN"),
    ("api.push.oppomobile.com", "OPPO", "push", "CN"),
    ("api-push.vivo.com.cn", "vivo", "push", "CN"),
    ("mobilegw.alipay.com", "Ant Group", "payments", "CN"),
    ("MDAP.Alipay.com.", "Ant Group", "analytics", "CN"),             # case, trailing dot
    ("oss-cn-hangzhou.aliyuncs.com", "Alibaba", "cloud", "CN"),
    ("d1234.cloudfront.net", "Amazon", "cdn", "US"),
])
def test_known_hosts(host: str, organisation: str, category: str | None, country: str) -> None:
    row = bundled().lookup(host)
    assert row is not None, host
    assert (row.organisation, row.category, row.country) == (organisation, category, country)
    assert row.source


@pytest.mark.parametrize("host", [
    "shoppingmall.example", "notumeng.com",       # a suffix must match whole labels
    "umeng.com.evil.example", "qq.com.cn", "203.0.113.10", "localhost", "",
])
def test_unknown_hosts(host: str) -> None:
    assert bundled().lookup(host) is None


def test_bundled_data_is_well_formed() -> None:
    text = (resources.files("trafficscope.attribution") / "data" / "owners.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(
        "\n".join(ln for ln in text.splitlines() if ln and not ln.startswith("#")))))
    assert len(rows) >= 300
    domains = [r["domain"] for r in rows]
    assert len(domains) == len(set(domains)), "duplicate domains"
    for r in rows:
        assert r["domain"] == r["domain"].strip().lower() and "." in r["domain"], r
        assert r["organisation"].strip(), r
        assert r["category"] in (*CATEGORIES, ""), r
        assert len(r["country"]) == 2 and r["country"].isupper(), r
        assert r["source"].split(":")[0] in ("ddg", "exodus", "vendor", "corp"), r
    # one organisation, one country
    seat: dict[str, str] = {}
    for r in rows:
        assert seat.setdefault(r["organisation"], r["country"]) == r["country"], r


def test_layering_later_rows_win_and_longest_suffix_across_layers() -> None:
    db = OwnerDB([Owner("qq.com", "Tencent", None, "CN"),
                  Owner("bugly.qq.com", "Tencent", "crash-reporting", "CN")])
    mine = db.layered([Owner("qq.com", "Tencent Holdings", "social")])
    assert mine.lookup("im.qq.com") == Owner("qq.com", "Tencent Holdings", "social")
    assert mine.lookup("android.bugly.qq.com").category == "crash-reporting"
    assert db.lookup("im.qq.com").organisation == "Tencent"      # the original is unchanged
    assert mine.country_of("Tencent Holdings Ltd.") == "CN"     # names compared normalised
    assert mine.country_of("Nobody Corp") is None


@pytest.mark.parametrize(("name", "key"), [
    ("Tencent Holdings Ltd.", "tencent"),
    ("Google LLC", "google"),
    ("Facebook, Inc.", "facebook"),
    ("Adjust GmbH", "adjust"),
    ("Group", "group"),                   # never strips to nothing
])
def test_org_key(name: str, key: str) -> None:
    assert org_key(name) == key


@pytest.mark.parametrize(("app", "organisation"), [
    ("com.tencent.mm", "Tencent"),
    ("com.ss.android.ugc.aweme", "ByteDance"),
    ("com.eg.android.AlipayGphone", "Ant Group"),
    ("com.smile.gifmaker", "Kuaishou"),
    ("com.google.android.youtube", "Google"),
    ("com.tencentx.app", None),           # prefixes match whole labels
    ("example.shoppingmall.android", None),
])
def test_app_organisation(app: str, organisation: str | None) -> None:
    assert app_organisation(app) == organisation
