"""The Scanner: every field of a flow through one engine pass, then rules.

Built once per session from the profile and the detector registry; `scan`
takes the fields of one flow and returns its detections, `scan_many` does
the same for many flows with one engine pass over all their fields. Two
engines: one for profile variants and the patterns that stand alone, run
over every field; one for `needs_key` patterns (bare hex and digit runs,
which match tokens everywhere), run only over the fields whose key names one
of their entities. Flow detectors (lists, lat/lon pairs, cell ids, key-named
values) run only for flows holding a key they want (`Detector.wants_key`).

Confidence:

- known (a profile value, in any of its forms): 1.0, or 0.9 for values
  shorter than 6 characters; a pattern match whose normalised value is a
  profile value (or, for LOCATION, lies within the profile's radius) becomes
  known too, with the profile's entity (a contact's phone is CONTACTS);
- pattern: the pattern's base score; the detector's validator may drop the
  candidate (False) or raise it to at least 0.95 (True); a key naming the
  entity adds its prior (keys.py) and is required by `needs_key` patterns;
  a time/counter key halves digit-based scores, and so does an object id's
  place for the entities in `OBJECT_IDS` (a check digit or a country code that
  one number in ten passes) unless a key names the entity: a URL path segment
  (REST paths hold object ids of that shape: Facebook's app ids in
  `graph.facebook.com/v16.0/<app id>/activities`) or a key naming an id
  (`id`, `app_id`, `pixelId`: Facebook's pixel in `facebook.com/tr/?id=...`);
  the result is capped at
  `PATTERN_MAX` (1.0 means known) and dropped below `MIN_CONFIDENCE`.

Dedupe: one detection per (pii_type, value, field location, field key) per
flow, keeping known over pattern and then the higher confidence; a pattern
detection of a value that is also a known detection at the same place is
dropped. APP_LIST: at least two distinct installed apps of the profile in one
flow give one detection (value: the sorted ids joined by commas).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..model import Detection, Field
from ..profile import Profile
from .detectors import DETECTORS, VALIDATED, Detector, Pattern
from .engine import Engine, EnginePattern
from .keys import is_negative_key, key_priors, names_an_id, normalize_key
from .known import KnownIndex, Variant, app_pattern

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.35
PATTERN_MAX = 0.99
APP_LIST_MIN = 2
#: Entities whose validators one number in ten passes: in a URL path or under a key
#: naming some id, without a key naming them, likelier an object id (see above).
OBJECT_IDS = frozenset({"IMEI", "IMSI", "ICCID"})
#: Key paths whose uses a Scanner remembers (`_uses`).
KEY_USES = 16384

@dataclass(frozen=True, slots=True)
class _PatternRule:
    detector: type[Detector]
    pattern: Pattern
    key_entities: tuple[str, ...]  # a needs_key pattern runs only under these keys


_Rule = _PatternRule | Variant | str  # str: an installed app id
_Key = tuple[str, str, str, str | None]
#: A field to scan, with the results of its flow: detections, and installed apps seen.
_Place = tuple[Field, dict[_Key, Detection], dict[str, list[Field]]]


class Scanner:
    """Finds personal data in the fields of a flow; compile once, scan often.

    Not thread-safe (the engine keeps scratch space): one Scanner per thread.
    """

    def __init__(self, profile: Profile | None = None, *, backend: str = "auto",
                 detectors: Sequence[type[Detector]] = DETECTORS) -> None:
        self.known = KnownIndex(profile)
        patterns: list[EnginePattern] = []
        rules: list[_Rule] = []
        keyed_patterns: list[EnginePattern] = []
        keyed_rules: list[_Rule] = []
        for v in self.known.variants:  # first: a known form's evidence wins ties
            patterns.append(v.pattern)
            rules.append(v)
        for det in detectors:
            for p in det.PATTERNS:
                ep = EnginePattern(p.regex, p.caseless, p.edge_before, p.edge_after,
                                   p.guard_before, p.guard_after, p.anchor, p.anchor_reach,
                                   p.prefilter)
                rule = _PatternRule(det, p, (det.ENTITY, *det.KEY_ENTITIES))
                # needs_key patterns (bare hex and digit runs) match tokens everywhere:
                # they run only over the few fields whose key names their entity.
                (keyed_patterns if p.needs_key else patterns).append(ep)
                (keyed_rules if p.needs_key else rules).append(rule)
        for app in self.known.apps:
            patterns.append(app_pattern(app))
            rules.append(app)
        self._rules = tuple(rules)
        self._engine = Engine(patterns, backend)
        self._keyed_rules = tuple(keyed_rules)
        self._keyed = Engine(keyed_patterns, self._engine.backend)
        self._keyed_entities = frozenset(
            e for r in keyed_rules if isinstance(r, _PatternRule) for e in r.key_entities)
        self._flow_detectors = tuple(d for d in detectors if d.from_flow is not Detector.from_flow)
        # key path -> (flow detectors that want it, as bits; whether a needs_key pattern may)
        self._key_uses: dict[str, tuple[int, bool]] = {}
        log.debug("scanner: %d patterns, %d known variants, %d apps, backend %s",
                  len(patterns), len(self.known.variants), len(self.known.apps),
                  self._engine.backend)

    @property
    def backend(self) -> str:
        return self._engine.backend

    def scan(self, fields: Iterable[Field]) -> list[Detection]:
        """Detections in the fields of one flow, deduplicated."""
        return self.scan_many((fields,))[0]

    def scan_many(self, flows: Iterable[Iterable[Field]]) -> list[list[Detection]]:
        """`scan` of each flow, the fields of them all in one engine pass (a Hyperscan
        call costs about as much as scanning a few KB, and most flows are smaller)."""
        # tuples: the flow detectors may keep what they work out per flow, by identity
        batch = [fs if isinstance(fs, tuple) else tuple(fs) for fs in flows]
        founds: list[dict[_Key, Detection]] = [{} for _ in batch]
        apps: list[dict[str, list[Field]]] = [{} for _ in batch]
        places: list[_Place] = []  # per text: its field and its flow's results
        keyed: list[_Place] = []  # the same for the fields a needs_key pattern may use
        wanted = []  # per flow: the flow detectors that want one of its keys, as bits
        uses, key_uses = self._key_uses.get, self._uses
        for fields, found, flow_apps in zip(batch, founds, apps, strict=True):
            bits = 0
            for f in fields:
                places.append((f, found, flow_apps))
                if f.key:
                    want, needs_key = uses(f.key) or key_uses(f.key)
                    bits |= want
                    if needs_key:
                        keyed.append((f, found, flow_apps))
            wanted.append(bits)
        self._match(self._engine, self._rules, places)
        if keyed:
            self._match(self._keyed, self._keyed_rules, keyed)
        out = []
        for fields, found, flow_apps, bits in zip(batch, founds, apps, wanted, strict=True):
            for n, detector in enumerate(self._flow_detectors):
                if not bits >> n & 1:
                    continue  # no key it uses: it would find nothing
                for cand in detector.from_flow(fields):
                    det = self._judge(detector.ENTITY, cand.field, cand.value, cand.score,
                                      cand.evidence)
                    if det is not None:
                        _add(found, det)
            if len(flow_apps) >= APP_LIST_MIN:
                _add(found, _app_list(flow_apps))
            out.append(_finish(found))
        return out

    def _uses(self, key: str) -> tuple[int, bool]:
        """What looks at a field under `key`: the flow detectors that want it (bit n:
        the n-th), and whether a needs_key pattern may match there. Remembered."""
        want = sum(1 << n for n, d in enumerate(self._flow_detectors) if d.wants_key(key))
        got = want, not self._keyed_entities.isdisjoint(key_priors(key))
        if len(self._key_uses) >= KEY_USES:
            self._key_uses.clear()  # bounded: keys come from the traffic
        self._key_uses[key] = got
        return got

    def _match(self, engine: Engine, rules: Sequence[_Rule], places: Sequence[_Place]) -> None:
        """Run one engine over the fields of `places` and judge its candidates into
        their flows' results."""
        for ti, hits, data in engine.hits([p[0].value for p in places]):
            f, found, apps = places[ti]
            priors = key_priors(f.key)
            for pid in sorted(hits):
                rule = rules[pid]
                ends = hits[pid]
                if isinstance(rule, _PatternRule):
                    if rule.pattern.needs_key and not any(priors.get(e) for e in rule.key_entities):
                        continue  # before any regex work: most hex/digit runs end here
                    for text in engine.matches(pid, f.value, ends, data):
                        det = self._pattern(rule, f, text, priors)
                        if det is not None:
                            _add(found, det)
                elif isinstance(rule, Variant) and rule.near:
                    for text in engine.matches(pid, f.value, ends, data):
                        pair = self.known.near_value(rule, text)
                        if pair is not None:
                            _add(found, Detection("LOCATION", f, pair, "known", 1.0, rule.steps,
                                                  ("profile", f"variant:{rule.name}")))
                elif not engine.matches(pid, f.value, ends, data):
                    continue
                elif isinstance(rule, Variant):
                    if rule.key_entity and not priors.get(rule.key_entity):
                        continue
                    _add(found, Detection(rule.entity, f, rule.value, "known", rule.confidence,
                                          rule.steps, ("profile", f"variant:{rule.name}")))
                else:
                    apps.setdefault(rule, []).append(f)

    def _pattern(self, rule: _PatternRule, f: Field, text: str,
                 priors: Mapping[str, float]) -> Detection | None:
        det, pat = rule.detector, rule.pattern
        entity = det.ENTITY
        prior = priors.get(entity, 0.0)
        for alt in det.KEY_ENTITIES:
            if priors.get(alt):
                entity, prior = alt, priors[alt]
        if pat.needs_key and prior <= 0:
            return None
        ok = det.validate(text)
        if ok is False:
            return None
        evidence = [f"pattern:{pat.name}"]
        score = pat.score
        if ok:
            score = max(score, VALIDATED)
            evidence.append(det.VALIDATOR)
        if prior:
            score += prior
            evidence.append(f"key:{normalize_key(f.last_key or '')}")
        if det.NUMERIC and is_negative_key(f.key):
            score *= 0.5
            evidence.append("key:not-pii")
        elif entity in OBJECT_IDS and not prior and (why := _object_id(f)):
            score *= 0.5
            evidence.append(why)
        return self._judge(entity, f, det.normalize(text), score, tuple(evidence))

    def _judge(self, entity: str, f: Field, value: str, score: float,
               evidence: tuple[str, ...]) -> Detection | None:
        """Known when the profile has the value, else a pattern detection if likely."""
        known = self.known.lookup(entity, value)
        if known is not None:
            return Detection(known, f, value, "known", 1.0, (), (*evidence, "profile"))
        score = min(score, PATTERN_MAX)
        if score < MIN_CONFIDENCE:
            return None
        return Detection(entity, f, value, "pattern", round(score, 3), (), evidence)


def _object_id(f: Field) -> str | None:
    """The evidence that `f` holds an object id, if it is such a place: a URL path
    segment, or a key naming an id (`keys.names_an_id`)."""
    if f.location == "path":
        return "path:object-id"
    if names_an_id(f.key):
        return "key:object-id"
    return None


def _rank(d: Detection) -> tuple[bool, float, int]:
    # Ties go to the value decoded exactly over a derived form found in the raw text
    # (base64 of an email inside a longer base64 blob): its path says more.
    return d.match == "known", d.confidence, -len(d.extra_encoding)


def _add(found: dict[_Key, Detection], d: Detection) -> None:
    k = (d.pii_type, d.value, d.field.location, d.field.key)
    old = found.get(k)
    if old is None or _rank(d) > _rank(old):
        found[k] = d


def _finish(found: dict[_Key, Detection]) -> list[Detection]:
    known = {(d.value, d.field.location, d.field.key) for d in found.values()
             if d.match == "known"}
    return [d for d in found.values()
            if d.match == "known" or (d.value, d.field.location, d.field.key) not in known]


def _app_list(apps: dict[str, list[Field]]) -> Detection:
    ids = sorted(apps)
    per_field: dict[int, tuple[Field, set[str]]] = {}
    for app, fs in apps.items():
        for f in fs:
            per_field.setdefault(id(f), (f, set()))[1].add(app)
    field = max(per_field.values(), key=lambda fa: len(fa[1]))[0]
    return Detection("APP_LIST", field, ",".join(ids), "known", 1.0, (),
                     ("profile", f"apps:{len(ids)}"))
