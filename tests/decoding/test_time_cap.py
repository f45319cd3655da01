"""The decoding time cap: past `max_decode_seconds`, values are kept as sent, marked.

Deterministic: a zero budget (always spent) or an injected clock, never a
timed assertion.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import replace

from trafficscope.decoding.fields import extract_fields
from trafficscope.decoding.limits import DEFAULT_LIMITS, Budget
from trafficscope.decoding.values import walk
from trafficscope.model import Field, Flow

INNER = json.dumps({"imei": "490154203237518"})
B64 = base64.b64encode(INNER.encode()).decode()


def _flow() -> Flow:
    body = gzip.compress(json.dumps({"d": B64, "e": "x"}).encode())
    return Flow(flow_id="t", ts=0.0, source="har", kind="http", method="POST",
                url=f"https://h.example/p?q={B64}", host="h.example",
                request_headers=(("content-type", "application/octet-stream"),),
                request_body=body)


def _by_key(fields: list[Field]) -> dict[str | None, Field]:
    return {f.key: f for f in fields}


def test_with_time_left_values_are_decoded() -> None:
    fields = list(extract_fields(_flow()))
    imei = [f for f in fields if f.value == "490154203237518"]
    assert {f.location for f in imei} == {"query", "body"}
    assert not any(f.truncated for f in imei)


def test_a_spent_budget_keeps_values_as_sent_and_marked() -> None:
    fields = list(extract_fields(_flow(), replace(DEFAULT_LIMITS, max_decode_seconds=0)))
    assert fields, "the flow is kept"
    assert not [f for f in fields if f.value == "490154203237518"]
    q = _by_key(fields)["q"]
    assert (q.location, q.value, q.truncated) == ("query", B64, True)
    body = [f for f in fields if f.location == "body"]
    assert body and all(f.truncated for f in body)  # gzip found in the body, not opened


def test_values_decoded_before_the_deadline_stay_the_rest_are_cut() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0  # every reading takes a second
        return now[0]

    limits = replace(DEFAULT_LIMITS, max_decode_seconds=3.5)
    budget = Budget.of(limits, clock)  # starts at 1, deadline 4.5
    node = [B64, B64, B64, B64, B64]
    fields = list(walk("body", None, node, (), limits, budget=budget))
    decoded = [f.key for f in fields if f.key and f.key.endswith(".imei") and not f.truncated]
    cut = [f.key for f in fields if f.value == B64 and f.truncated]
    # the first values were decoded; once the clock passed the deadline, the rest kept as sent
    k = len(decoded)
    assert 1 <= k < len(node)
    assert decoded == [f"{i}.imei" for i in range(k)]
    assert cut == [str(i) for i in range(k, len(node))]


def test_values_remembered_across_flows_still_honour_each_flows_budget() -> None:
    """A value decoded in one flow is remembered (`values._KNOWN`) and given again to
    the next flows with the same answer; a flow whose time is spent still keeps it as sent."""
    from trafficscope.decoding import values

    value = base64.b64encode(b'{"android_id": "a1b2c3d4e5f60718"}').decode()
    values._KNOWN.pop(value, None)
    first = list(walk("header", "x-d", value, (), DEFAULT_LIMITS))
    assert values._KNOWN.get(value) is not None
    again = list(walk("header", "x-d", value, (), DEFAULT_LIMITS))
    assert again == first
    assert {("x-d", value, ()), ("x-d.android_id", "a1b2c3d4e5f60718", ("base64", "json"))} <= {
        (f.key, f.value, f.encoding) for f in first if not f.truncated}
    spent = list(walk("header", "x-d", value, (), DEFAULT_LIMITS,
                      budget=Budget.of(replace(DEFAULT_LIMITS, max_decode_seconds=0))))
    assert [(f.value, f.truncated) for f in spent] == [(value, True)]
    low = Budget.of(DEFAULT_LIMITS)
    low.left = 10  # too little left for one value: decoded afresh, not taken from memory
    assert list(walk("header", "x-d", value, (), DEFAULT_LIMITS, budget=low)) == first


def test_values_that_needed_decompression_are_not_remembered() -> None:
    from trafficscope.decoding import values

    value = base64.b64encode(gzip.compress(INNER.encode())).decode()
    fields = list(walk("query", "q", value, (), DEFAULT_LIMITS))
    assert any(f.value == "490154203237518" for f in fields)
    assert value not in values._KNOWN  # its answer depends on the flow's budget
