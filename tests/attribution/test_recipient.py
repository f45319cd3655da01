"""First or third party, owner and category of a recipient, for several apps."""

import pytest

from trafficscope.attribution import Attributor, Owner, OwnerDB, bundled

WECHAT = Attributor("com.tencent.mm")
DOUYIN = Attributor("com.ss.android.ugc.aweme")
SHOP = Attributor("example.shoppingmall.android")
YOUTUBE = Attributor("com.google.android.youtube")
OWN_CDN = Attributor("example.shoppingmall.android",
                     first_party=["shop-assets.cloudfront.net", "api.shoppingmall-cn.example"])
NOBODY = Attributor()


@pytest.mark.parametrize(("attributor", "host", "party", "category"), [
    # WeChat: every Tencent domain is first party, its own ad and crash SDKs included
    (WECHAT, "short.weixin.qq.com", "first", "social"),
    (WECHAT, "android.bugly.qq.com", "first", "crash-reporting"),
    (WECHAT, "mi.gdt.qq.com", "first", "advertising"),
    (WECHAT, "res.wx.qq.com", "first", "social"),
    (WECHAT, "www.tencent.com", "first", "first-party-api"),
    (WECHAT, "wx.qlogo.cn", "third", "cdn"),              # a CDN is nobody's first party
    (WECHAT, "cos.ap-guangzhou.myqcloud.com", "third", "cloud"),
    (WECHAT, "ulogs.umeng.com", "third", "analytics"),
    # Douyin: the package name does not name ByteDance; the app list does
    (DOUYIN, "api-access.pangolin-sdk-toutiao.com", "first", "advertising"),
    (DOUYIN, "log.snssdk.com", "first", "analytics"),
    (DOUYIN, "aweme.snssdk.com", "first", "first-party-api"),
    (DOUYIN, "p3.douyinpic.com", "third", "cdn"),
    (DOUYIN, "mi.gdt.qq.com", "third", "advertising"),
    # The sample's shopping app: its own domain only, no owner row
    (SHOP, "api.shoppingmall.example", "first", "first-party-api"),
    (SHOP, "ulogs.umeng.com", "third", "analytics"),
    (SHOP, "d1.cloudfront.net", "third", "cdn"),
    # Google's own app: Google's SDK hosts are first party, Google Cloud hosting is not
    (YOUTUBE, "app-measurement.com", "first", "analytics"),
    (YOUTUBE, "fcm.googleapis.com", "first", "push"),
    (YOUTUBE, "storage.googleapis.com", "third", "cloud"),
    (YOUTUBE, "graph.facebook.com", "third", "social"),
    # --first-party names a CDN bucket: that one is first, other buckets are not
    (OWN_CDN, "shop-assets.cloudfront.net", "first", "cdn"),
    (OWN_CDN, "other-assets.cloudfront.net", "third", "cdn"),
    (OWN_CDN, "api.shoppingmall-cn.example", "first", "first-party-api"),
    # No app known
    (NOBODY, "ulogs.umeng.com", "unknown", "analytics"),
    (NOBODY, "api.shoppingmall.example", "unknown", None),
])
def test_party_and_category(attributor: Attributor, host: str, party: str,
                            category: str | None) -> None:
    rec = attributor.recipient(host)
    assert (rec.party, rec.category) == (party, category), host
    assert attributor.party(host) == party


def test_first_party_domain_brings_its_organisation() -> None:
    # An app id that names nothing; --first-party taobao.com makes Alibaba the app's organisation
    a = Attributor("org.example.mall", first_party=["taobao.com"])
    assert a.recipient("ulogs.umeng.com").party == "first"      # Umeng is Alibaba's
    assert a.recipient("g.alicdn.com").party == "third"         # CDN
    assert a.recipient("api.jpush.cn").party == "third"


def test_recipient_fields() -> None:
    rec = SHOP.recipient("ULOGS.umeng.com.")
    assert (rec.domain, rec.owner, rec.owner_country) == ("umeng.com", "Alibaba", "CN")
    rec = SHOP.recipient("api.shoppingmall.example")
    assert (rec.domain, rec.owner, rec.owner_country) == ("shoppingmall.example", None, None)


def test_imported_owner_without_country_takes_the_bundled_seat() -> None:
    db = bundled().layered([Owner("tracker.example", "Alibaba", "analytics", None, "test")])
    rec = Attributor("a.b.c", owners=db).recipient("x.tracker.example")
    assert (rec.owner, rec.owner_country, rec.party) == ("Alibaba", "CN", "third")


def test_country_without_geoip_is_none() -> None:
    assert Attributor(owners=OwnerDB()).country("142.250.72.142") is None
