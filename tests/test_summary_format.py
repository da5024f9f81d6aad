"""The terminal summary's number formats (accelsim/report/summary.py): the largest unit a value
reaches, three decimals (time under 1 us: one), counts to three significant digits."""
from __future__ import annotations

import pytest

from accelsim.report.summary import fmt_count, fmt_energy, fmt_power, fmt_time


@pytest.mark.parametrize("fmt, value, text", [
    (fmt_energy, None, "-"), (fmt_energy, 12.3456, "12.346 pJ"), (fmt_energy, 1e3, "1.000 nJ"),
    (fmt_energy, 2.5e6, "2.500 uJ"), (fmt_energy, 3.3e9, "3.300 mJ"), (fmt_energy, 7e12, "7000.000 mJ"),
    (fmt_energy, -2500.0, "-2.500 nJ"),
    (fmt_time, None, "-"), (fmt_time, 12.34, "12.3 ns"), (fmt_time, 999.94, "999.9 ns"), (fmt_time, 1234.5, "1.234 us"),
    (fmt_time, 1e6, "1.000 ms"), (fmt_time, 3.3e9, "3.300 s"),
    (fmt_power, None, "-"), (fmt_power, 2.0, "2.000 W"), (fmt_power, 0.5, "500.000 mW"), (fmt_power, 5e-6, "5.000 uW"),
    (fmt_power, 3e-10, "0.300 nW"), (fmt_power, 0.0, "0.000 nW"),
    (fmt_count, 5, "5"), (fmt_count, 999999, "1M"), (fmt_count, 999.6, "1k"), (fmt_count, 999.4, "999"), (fmt_count, 1234.5, "1.23k"), (fmt_count, 2.5e6, "2.5M"),
    (fmt_count, 1e9, "1G"), (fmt_count, 7e13, "70T"), (fmt_count, -3e9, "-3G"),
])
def test_formats(fmt, value, text):
    assert fmt(value) == text
