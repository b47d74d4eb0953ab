import json

from hypothesis import given
from hypothesis import strategies as st

from perfopt.models import (
    Candidate,
    CandidateResult,
    Hotspot,
    Measurement,
    RunResult,
    StressCase,
    StressSuite,
    Target,
    Verdict,
    from_dict,
    to_dict,
)

text = st.text(max_size=20)
floats = st.floats(allow_nan=False, allow_infinity=False, width=32)
targets = st.builds(
    Target,
    file=text,
    qualname=st.none() | text,
    language=st.sampled_from(["python", "cpp"]),
    span=st.none() | st.tuples(st.integers(1, 10_000), st.integers(1, 10_000)),
)
measurements = st.builds(
    Measurement,
    metric=st.sampled_from(["wall", "instructions"]),
    baseline=st.lists(floats, max_size=5).map(tuple),
    candidate=st.lists(floats, max_size=5).map(tuple),
    speedup=floats,
    ci_low=floats,
    ci_high=floats,
)
results = st.builds(
    CandidateResult,
    candidate=st.builds(
        Candidate,
        target=targets,
        source=text,
        origin=text,
        skills=st.lists(text, max_size=3).map(tuple),
    ),
    verdict=st.builds(Verdict, accepted=st.booleans(), gate=text, reason=text),
    measurements=st.lists(measurements, max_size=2).map(tuple),
)
hotspots = st.builds(
    Hotspot,
    target=targets,
    self_share=floats,
    total_share=floats,
    score=floats,
    hot_lines=st.lists(st.tuples(st.integers(1, 99), floats), max_size=3).map(tuple),
)
runs = st.builds(
    RunResult,
    project=text,
    hotspots=st.lists(hotspots, max_size=2).map(tuple),
    results=st.lists(results, max_size=2).map(tuple),
    usage=st.dictionaries(text, floats, max_size=2),
)


@given(runs)
def test_run_result_round_trips_through_json(run):
    assert from_dict(RunResult, json.loads(json.dumps(to_dict(run)))) == run


@given(
    st.builds(
        StressSuite,
        target=targets,
        cases=st.lists(
            st.builds(
                StressCase,
                id=text,
                provenance=text,
                payload=text,
                size=st.none() | st.integers(0, 10**9),
                cost=st.none() | floats,
            ),
            max_size=3,
        ).map(tuple),
        complexity=st.none() | floats,
    )
)
def test_stress_suite_round_trips(suite):
    assert from_dict(StressSuite, json.loads(json.dumps(to_dict(suite)))) == suite


def test_candidate_id_depends_on_source():
    t = Target("a.py", "f")
    assert Candidate(t, "x", "o").id == Candidate(t, "x", "other").id
    assert Candidate(t, "x", "o").id != Candidate(t, "y", "o").id
