import pytest

from trafficscope.attribution import PartyRules, app_domain, registrable_domain


@pytest.mark.parametrize(("host", "domain"), [
    ("ulogs.umeng.com", "umeng.com"),            # plain .com
    ("ULOGS.Umeng.COM.", "umeng.com"),           # case and trailing dot
    ("a.b.sina.com.cn", "sina.com.cn"),          # two-label public suffix
    ("googleads.g.doubleclick.net", "doubleclick.net"),
    ("x.appspot.com", "x.appspot.com"),          # private suffix: owned by x, not Google
    ("api.shoppingmall.example", "shoppingmall.example"),  # unknown TLD: one-label suffix
    ("203.0.113.10", "203.0.113.10"),            # IPv4 stays as it is
    ("[2001:db8::1]", "2001:db8::1"),            # IPv6, brackets dropped
    ("localhost", "localhost"),                  # no suffix at all
])
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


@pytest.mark.parametrize(("app", "domain"), [
    ("com.tencent.mm", "tencent.com"),
    ("example.shoppingmall.android", "shoppingmall.example"),
    ("cn.com.sina.news", "sina.com.cn"),
    ("single", None),                            # not reverse DNS
])
def test_app_domain(app: str, domain: str | None) -> None:
    assert app_domain(app) == domain


def test_party_without_app_is_unknown() -> None:
    assert PartyRules().party("umeng.com") == "unknown"


def test_party_first_and_third() -> None:
    rules = PartyRules("com.tencent.mm", first_party=["qpic.cn", "https-less.weixin.qq.com"])
    assert rules.party("tencent.com") == "first"
    assert rules.party("qpic.cn") == "first"
    assert rules.party("qq.com") == "first"      # given as a host, reduced to its domain
    assert rules.party("umeng.com") == "third"
