"""The Brighton PEWS against its chart: a child of 5 (Fleming 2011: heart rate 81-117, respiratory
rate 20-27 /min), each component's edges, the escalation bands, the age limit."""

from decimal import Decimal

import pytest

from hms.clinical.ages import Age
from hms.clinical.pews import PewsInput, PewsNotApplicable, pews_score

FIVE = Age(days=1900, months=62, years=5)


def child(**changes):
    values = dict(
        behaviour="playing",
        skin_colour="pink",
        capillary_refill_s=Decimal(2),
        heart_rate=Decimal(100),
        respiratory_rate=Decimal(24),
        work_of_breathing="none",
        fio2=None,
        oxygen_flow=Decimal(0),
    )
    values.update(changes)
    return PewsInput(**values)


def score(**changes):
    return pews_score(child(**changes), age=FIVE, sex="female")


def test_a_well_child_scores_0_routine():
    result = score()
    assert (result.total, result.level) == (0, "routine")
    assert "set locally" in result.local and "Monaghan" in result.source


@pytest.mark.parametrize(
    ("changes", "total", "level"),
    [
        ({"behaviour": "sleeping", "skin_colour": "pale"}, 2, "routine"),
        (
            {"behaviour": "sleeping", "skin_colour": "pale", "work_of_breathing": "accessory"},
            3,
            "increased observation",
        ),
        ({"behaviour": "irritable"}, 2, "increased observation"),  # 2 in one component
        (
            {"behaviour": "irritable", "skin_colour": "pale", "work_of_breathing": "accessory"},
            4,
            "medical review",
        ),
        (
            {"behaviour": "irritable", "skin_colour": "grey", "work_of_breathing": "accessory"},
            5,
            "urgent review",
        ),
        ({"behaviour": "lethargic"}, 3, "urgent review"),  # 3 in one component
    ],
)
def test_each_escalation_band(changes, total, level):
    result = score(**changes)
    assert (result.total, result.level) == (total, level)
    assert result.response


def test_behaviour_answers():
    assert [
        score(behaviour=b).points["behaviour"] for b in ("playing", "sleeping", "irritable", "lethargic")
    ] == [
        0,
        1,
        2,
        3,
    ]


def test_cardiovascular_colour_and_capillary_refill_edges():
    colours = [score(skin_colour=c).points["cardiovascular"] for c in ("pink", "pale", "grey", "mottled")]
    assert colours == [0, 1, 2, 3]
    refill = [score(capillary_refill_s=Decimal(s)).points["cardiovascular"] for s in (1, 2, 3, 4, 5, 8)]
    assert refill == [0, 0, 1, 2, 3, 3]


def test_cardiovascular_heart_rate_against_the_normal_rate_for_age():
    # Normal 81-117: tachycardia of 20 above from 137, of 30 above from 147; below 81 bradycardia.
    rates = [score(heart_rate=Decimal(r)).points["cardiovascular"] for r in (117, 136, 137, 146, 147, 81, 80)]
    assert rates == [0, 0, 2, 2, 3, 0, 3]


def test_the_highest_cardiovascular_descriptor_scores():
    assert score(skin_colour="pale", capillary_refill_s=Decimal(4)).points["cardiovascular"] == 2


def test_respiratory_rate_against_normal_parameters_for_age():
    # Normal 20-27: more than 10 above (38+) 1, more than 20 above (48+) 2; 5 or more below (15-) 3.
    rates = [score(respiratory_rate=Decimal(r)).points["respiratory"] for r in (37, 38, 47, 48, 16, 15)]
    assert rates == [0, 1, 1, 2, 0, 3]


def test_work_of_breathing_answers():
    effort = [
        score(work_of_breathing=w).points["respiratory"]
        for w in ("none", "accessory", "recession", "sternal")
    ]
    assert effort == [0, 1, 2, 3]


def test_oxygen_by_fio2_or_flow():
    fio2 = [score(fio2=Decimal(f), oxygen_flow=None).points["respiratory"] for f in (21, 29, 30, 40, 50)]
    assert fio2 == [0, 0, 1, 2, 3]
    flow = [score(oxygen_flow=Decimal(f)).points["respiratory"] for f in (0, 3, 4, 6, 8)]
    assert flow == [0, 0, 1, 2, 3]


def test_nebulisers_and_post_operative_vomiting_add_2_each():
    result = score(nebulisers=True, post_operative_vomiting=True)
    assert result.total == 4 and result.points["nebulisers"] == 2
    assert result.level == "medical review"


def test_the_age_limit_is_16():
    fifteen = Age(days=5600, months=191, years=15)
    assert (
        pews_score(child(heart_rate=Decimal(80), respiratory_rate=Decimal(16)), age=fifteen, sex="male").total
        == 0
    )
    with pytest.raises(PewsNotApplicable):
        pews_score(child(), age=Age(days=5900, months=192, years=16), sex="male")


def test_an_unknown_answer_is_refused():
    with pytest.raises(PewsNotApplicable, match="Behaviour is one of"):
        score(behaviour="sad")
