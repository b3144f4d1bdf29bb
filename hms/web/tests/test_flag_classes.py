"""Flags styled by direction on the patient banner and a trend's caption: a critically high value
(HH) is styled high and critical, never low as it was when anything not "H" was styled low."""

import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from hms.patients.tests.factories import PatientFactory
from hms.web.chart import LatestVital, PatientBanner
from hms.web.templatetags.flags import flag_class


@pytest.mark.parametrize(
    ("flag", "classes"),
    [
        ("H", "flag-high"),
        ("HH", "flag-high flag-critical"),
        ("L", "flag-low"),
        ("LL", "flag-low flag-critical"),
        ("A", "flag-abnormal"),
        ("N", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_each_flag_has_the_classes_of_its_direction(flag, classes):
    assert flag_class(flag) == classes


def _vital(code, flag):
    return LatestVital(code=code, name=code, value_text="1", flag=flag, recorded_at=timezone.now())


def test_the_banner_styles_a_critically_high_vital_high_and_critical():
    banner = PatientBanner(
        patient=PatientFactory.build(pk=7),
        age="40 y",
        allergies=None,
        problems=None,
        medicines=None,
        vitals=[_vital(code, flag) for code, flag in (("HR", "HH"), ("RR", "H"), ("SPO2", "LL"), ("T", "L"))],
    )
    html = render_to_string(
        "patients/_patient_banner.html",
        {"patient_banner": banner, "hospital": SimpleNamespace(code="DMC001")},
    )
    spans = dict(re.findall(r'<span class="([^"]+)">(\w+) 1', html))
    assert spans == {
        "flag-high flag-critical": "HR",
        "flag-high": "RR",
        "flag-low flag-critical": "SPO2",
        "flag-low": "T",
    }


def test_a_trend_caption_styles_a_low_latest_value_low():
    chart = SimpleNamespace(
        title="Haemoglobin", unit="g/dL", latest=SimpleNamespace(value_text="5", abnormal=True, flag="LL")
    )
    html = render_to_string("patients/_trend_chart.html", {"chart": chart})
    assert '<strong class="flag-low flag-critical">LL</strong>' in html
