import pytest

from trafficscope.detection.mask import mask
from trafficscope.pipeline import safe_url


@pytest.mark.parametrize(("url", "masked", "expected"), [
    ("https://a.example/x?imei=1#frag", (), "https://a.example/x"),       # query dropped
    ("https://user:pw@a.example:8443/p", (), "https://a.example:8443/p"),  # credentials dropped
    ("https://a.example/v1/490154203237518/t", (1,),
     "https://a.example/v1/" + mask("490154203237518") + "/t"),
    ("https://a.example//v1//x", (1,), "https://a.example//v1//" + mask("x")),  # empty segments
    (None, (), None),
])
def test_safe_url(url: str | None, masked: tuple[int, ...], expected: str | None) -> None:
    assert safe_url(url, masked) == expected
