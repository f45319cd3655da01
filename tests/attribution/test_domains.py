from pathlib import Path

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


def test_cached_suffix_list_gives_the_same_domains(tmp_path, monkeypatch) -> None:
    from publicsuffixlist import PSLFILE, PublicSuffixList

    from trafficscope import cache
    from trafficscope.attribution import domains

    monkeypatch.setenv(cache.ENV, str(tmp_path))
    first = domains.load_suffix_list()  # parsed, then written
    (written,) = (tmp_path / "psl").glob("*.pickle")
    assert written.stat().st_mode & 0o777 == 0o600
    again = domains.load_suffix_list()  # read back
    fresh = PublicSuffixList()
    rules = [line.split()[0].lstrip("!*.") for line in
             Path(PSLFILE).read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("//")]
    hosts = [f"a.b.{r}" for r in rules] + [f"x.{r}".encode("idna").decode() for r in rules
                                           if not r.isascii()]
    assert len(hosts) > 9000
    for psl in (first, again):
        assert [psl.privatesuffix(h) for h in hosts] == [fresh.privatesuffix(h) for h in hosts]


def test_foreign_suffix_list_cache_is_refused(tmp_path, monkeypatch) -> None:
    import pickle

    from trafficscope import cache
    from trafficscope.attribution import domains

    monkeypatch.setenv(cache.ENV, str(tmp_path))
    domains.load_suffix_list()
    (written,) = (tmp_path / "psl").glob("*.pickle")
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    written.write_bytes(pickle.dumps(Evil()))
    psl = domains.load_suffix_list()
    assert not marker.exists()  # the unpickler built nothing but the suffix list
    assert psl.privatesuffix("a.b.sina.com.cn") == "sina.com.cn"
    assert written.read_bytes() != pickle.dumps(Evil())  # rewritten with the parsed list
