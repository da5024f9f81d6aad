"""One failing-input test per architecture validation rule (``accelsim.config``).

Each test breaks one thing in the tiny architecture of ``conftest.py`` and checks
that :func:`load_arch` raises an :class:`InputError` naming the file, the dotted
path, the value and what is allowed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.config import load_arch
from accelsim.config.arch import Arch
from accelsim.config.loader import parse_set
from accelsim.config.rules import ARCH_RULES
from accelsim.tech.table import available_nodes
from accelsim.errors import InputError

REPO = Path(__file__).resolve().parent.parent


def broken(arch: dict, section: str, key: str, value) -> dict:
    arch.setdefault(section, {})[key] = value
    return arch


# --------------------------------------------------------------------------
# good files


def test_tiny_arch_loads_with_its_values(arch_file):
    spec = load_arch(arch_file)
    assert spec.source == str(arch_file)
    assert spec.arch.name == "tiny"
    assert spec.arch.pim.rows == 16 and spec.arch.pim.adc_bits == 4
    assert spec.arch.core.count == 2 and spec.arch.noc.mesh_x * spec.arch.noc.mesh_y == 2
    assert spec.arch.tech.clock_mhz == 250.0
    assert spec.arch.pim.adc_range == "full_scale"  # absent key: model default
    assert spec.tech.node_nm == 45


def test_arch_is_frozen(arch_file):
    spec = load_arch(arch_file)
    with pytest.raises(pydantic.ValidationError):
        spec.arch.pim.adc_bits = 8  # type: ignore[misc]


def test_empty_file_gives_the_default_arch(write_arch):
    spec = load_arch(write_arch("# nothing but a comment\n"))
    assert spec.arch == Arch()


def test_int_is_accepted_where_a_float_is_expected(tiny_arch_dict, write_arch):
    spec = load_arch(write_arch(broken(tiny_arch_dict, "tech", "clock_mhz", 300)))
    assert spec.arch.tech.clock_mhz == 300.0


@pytest.mark.parametrize("path", sorted((REPO / "arch_configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_arch_configs_are_valid(path):
    assert load_arch(path).arch.name == path.stem


# --------------------------------------------------------------------------
# reading the file


def test_missing_file(tmp_path, expect_problem):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as err:
        load_arch(missing)
    expect_problem(err.value, missing, "", "file not found")


def test_directory_instead_of_file(tmp_path, expect_problem):
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    with pytest.raises(InputError) as err:
        load_arch(folder)
    expect_problem(err.value, folder, "", "is a directory")


def test_invalid_yaml_names_line_and_column(write_arch, expect_problem):
    path = write_arch("pim:\n  rows: 16\n   cols: 16\n")  # cols indented too far
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "line 3, column 8", "invalid YAML", "mapping values are not allowed here")


def test_yaml_python_tags_are_refused(write_arch, expect_problem):
    path = write_arch("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "line 1, column 1", "invalid YAML", "constructor")


def test_not_utf8(tmp_path, expect_problem):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00pim")
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "", "not a UTF-8 text file")


@pytest.mark.parametrize("text, value", [("- pim\n- core\n", ["pim", "core"]), ("42\n", 42), ("just text\n", "just text")])
def test_not_a_mapping(write_arch, expect_problem, text, value):
    path = write_arch(text)
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "", "expected a mapping of sections", "tech, pim, core, noc, memory", value=value)


# --------------------------------------------------------------------------
# keys and types


def test_unknown_section_lists_the_sections(tiny_arch_dict, write_arch, expect_problem):
    tiny_arch_dict["pmi"] = {"rows": 16}
    path = write_arch(tiny_arch_dict)
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "pmi", "unknown key", "allowed keys: name, tech, pim, core, noc, memory")


def test_unknown_key_lists_the_allowed_keys(tiny_arch_dict, write_arch, expect_problem):
    path = write_arch(broken(tiny_arch_dict, "pim", "adc_bitz", 6))
    with pytest.raises(InputError) as err:
        load_arch(path)
    prob = expect_problem(err.value, path, "pim.adc_bitz", "unknown key; allowed keys:", value=6)
    for key in Arch.model_fields["pim"].annotation.model_fields:
        assert key in prob.message


@pytest.mark.parametrize("section, key, value, allowed", [
    ("pim", "rows", "128", "must be a valid integer"),        # string for int
    ("pim", "rows", True, "must be a valid integer"),         # bool for int (strict)
    ("pim", "rows", 12.5, "must be a valid integer"),         # float for int
    ("core", "count", [2], "must be a valid integer"),
    ("tech", "clock_mhz", "fast", "must be a valid number"),
    ("tech", "node", 45, "must be a valid string"),
    ("pim", "enabled", "yes please", "must be a valid boolean"),
    ("name", None, ["a"], "must be a valid string"),
])
def test_wrong_type(tiny_arch_dict, write_arch, expect_problem, section, key, value, allowed):
    if key is None:
        tiny_arch_dict[section] = value
        dotted = section
    else:
        broken(tiny_arch_dict, section, key, value)
        dotted = f"{section}.{key}"
    path = write_arch(tiny_arch_dict)
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, dotted, allowed, value=value)


def test_choices_are_derived_from_their_registries(tiny_arch_dict, write_arch, expect_problem):
    """pim.adc_model lists the ADC models of accelsim.tech.adc; core.partition the mapping
    policies that accelsim.hw.core.mapping implements (each one maps a layer)."""
    from typing import get_args

    from accelsim.config.arch import CoreConfig, PimConfig
    from accelsim.engine.lower import lower
    from accelsim.hw.core.mapping import map_layer
    from accelsim.tech.adc import ADC_MODELS
    from accelsim.workload import load_workload

    assert get_args(PimConfig.model_fields["adc_model"].annotation) == tuple(ADC_MODELS)
    policies = get_args(CoreConfig.model_fields["partition"].annotation)
    layer = lower(load_workload(Path(__file__).resolve().parent.parent / "workloads" / "digits" / "workload.json"))[1]
    for policy in policies:
        assert map_layer(layer, 4, policy).neurons_per_core.sum() == layer.neurons
    with pytest.raises(ValueError, match="known: " + ", ".join(policies)):
        map_layer(layer, 4, "diagonal")
    path = write_arch(broken(tiny_arch_dict, "core", "partition", "diagonal"))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "core.partition", " or ".join(repr(p) for p in policies), value="diagonal")


@pytest.mark.parametrize("value", [3, None, [1, 2]])
def test_section_that_is_not_a_mapping(tiny_arch_dict, write_arch, expect_problem, value):
    tiny_arch_dict["pim"] = value
    path = write_arch(tiny_arch_dict)
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "pim", "must be a mapping", "adc_bits")


@pytest.mark.parametrize("section, key, value, allowed", [
    ("pim", "macros", -1, "must be greater than or equal to 1"),
    ("pim", "rows", 0, "must be greater than or equal to 1"),
    ("noc", "mesh_x", 0, "must be greater than or equal to 1"),
    ("core", "weight_sram_kib", 0, "must be greater than 0"),
    ("core", "vmem_sram_kib", -2.0, "must be greater than 0"),
    ("tech", "clock_mhz", 0.0, "must be greater than 0"),
    ("memory", "dram_bandwidth_gb_per_s", -1.0, "must be greater than 0"),
    ("core", "task_overhead_cycles", -1, "must be greater than or equal to 0"),
])
def test_negative_or_zero_size(tiny_arch_dict, write_arch, expect_problem, section, key, value, allowed):
    path = write_arch(broken(tiny_arch_dict, section, key, value))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, f"{section}.{key}", allowed, value=value)


@pytest.mark.parametrize("section, key, value, allowed", [
    ("pim", "adc_bits", 17, "must be less than or equal to 16"),
    ("pim", "cell_bits", 9, "must be less than or equal to 8"),
    ("tech", "clock_mhz", 20000.0, "must be less than or equal to 10000"),
    ("pim", "conductance_sigma", 1.5, "must be less than or equal to 1"),
    ("core", "sram_word_bits", 4, "must be greater than or equal to 8"),
])
def test_out_of_range(tiny_arch_dict, write_arch, expect_problem, section, key, value, allowed):
    path = write_arch(broken(tiny_arch_dict, section, key, value))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, f"{section}.{key}", allowed, value=value)


@pytest.mark.parametrize("section, key, text", [
    ("pim", "read_pulse_ns", ".inf"),
    ("core", "weight_sram_kib", ".inf"),
    ("pim", "adc_noise_lsb", ".nan"),
])
def test_non_finite_number(tiny_arch_dict, write_arch, expect_problem, section, key, text):
    # an infinite pulse or SRAM would pass "> 0" and poison every energy and latency
    tiny_arch_dict[section][key] = "PLACEHOLDER"
    path = write_arch(yaml.safe_dump(tiny_arch_dict).replace("PLACEHOLDER", text))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, f"{section}.{key}", "must be a finite number")


@pytest.mark.parametrize("key, value, allowed", [
    ("adc_model", "flash", "must be 'survey', 'sar', 'walden' or 'survey_bound'"),
    ("adc_range", "auto", "must be 'full_scale' or 'calibrated'"),
    ("signed_weights", "twos_complement", "must be 'differential' or 'offset'"),
    ("static_input", "never", "must be 'auto', 'recompute' or 'hold'"),
])
def test_unknown_enum_value(tiny_arch_dict, write_arch, expect_problem, key, value, allowed):
    path = write_arch(broken(tiny_arch_dict, "pim", key, value))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, f"pim.{key}", allowed, value=value)


# --------------------------------------------------------------------------
# cross-field rules (accelsim/config/rules.py): one case per rule, plus its boundary

RULE_CASES = {
    # rule: (changes that break it, path, message, changes right at the boundary that pass)
    "mesh_holds_all_cores": (
        {("core", "count"): 3}, "core.count", "must be at most noc.mesh_x * noc.mesh_y = 2",
        {("core", "count"): 2}),
    "dac_not_wider_than_input": (
        {("pim", "dac_bits"): 4, ("pim", "input_bits"): 2}, "pim.dac_bits", "must be at most pim.input_bits = 2",
        {("pim", "dac_bits"): 2, ("pim", "input_bits"): 2}),
    "signed_weights_need_two_bits": (
        {("pim", "weight_bits"): 1}, "pim.weight_bits", "must be at least 2 (sign + magnitude)",
        {("pim", "weight_bits"): 2}),
    "differential_needs_even_columns": (
        {("pim", "cols"): 1}, "pim.cols", "must be at least 2 for differential column pairs",
        {("pim", "cols"): 1, ("pim", "signed_weights"): "offset"}),
    "sram_word_holds_a_weight_and_a_membrane": (
        {("core", "sram_word_bits"): 15, ("core", "vmem_bits"): 16}, "core.sram_word_bits",
        "must be at least max(core.weight_bits, core.vmem_bits) = 16",
        {("core", "sram_word_bits"): 16, ("core", "vmem_bits"): 16}),
    "clip_ratio_needs_calibrated_range": (
        {("pim", "adc_clip_ratio"): 0.5}, "pim.adc_clip_ratio", "only applies with pim.adc_range: calibrated",
        {("pim", "adc_clip_ratio"): 0.5, ("pim", "adc_range"): "calibrated"}),
    "fixed_numerics_need_signed_words": (
        {("core", "numerics"): "fixed", ("core", "vmem_bits"): 1}, "core.vmem_bits",
        "must be at least 2 with core.numerics: fixed",
        {("core", "numerics"): "fixed", ("core", "vmem_bits"): 2}),
    "adc_bits_in_the_model_range": (
        {("pim", "adc_model"): "survey_bound", ("pim", "adc_bits"): 3}, "pim.adc_bits",
        "the survey_bound ADC model holds for 4 to 16 bits",
        {("pim", "adc_model"): "survey_bound", ("pim", "adc_bits"): 4}),
    "macro_fits_the_array": (
        {("macro", "active_rows"): 17}, "macro.active_rows", "must be at most pim.rows = 16",
        {("macro", "active_rows"): 16}),
    "macro_cycle_vdd_needs_cycle": (
        {("macro", "cycle_vdd"): 0.9}, "macro.cycle_vdd", "only applies with macro.cycle_ns",
        {("macro", "cycle_vdd"): 0.9, ("macro", "cycle_ns"): 10.0}),
    "differential_subtract_needs_pairs": (
        {("macro", "differential_subtract"): True, ("pim", "signed_weights"): "offset"},
        "macro.differential_subtract", "needs pim.signed_weights: differential",
        {("macro", "differential_subtract"): True, ("pim", "signed_weights"): "differential"}),
}


def test_every_cross_field_rule_has_a_case():
    assert sorted(rule.__name__ for rule in ARCH_RULES) == sorted(RULE_CASES)


def _apply(arch: dict, changes: dict) -> dict:
    for (section, key), value in changes.items():
        arch.setdefault(section, {})[key] = value
    return arch


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_cross_field_rule_rejects(rule, tiny_arch_dict, write_arch, expect_problem):
    changes, path_, message, _ = RULE_CASES[rule]
    path = write_arch(_apply(tiny_arch_dict, changes))
    with pytest.raises(InputError) as err:
        load_arch(path)
    value = next(v for (s, k), v in changes.items() if f"{s}.{k}" == path_)
    expect_problem(err.value, path, path_, message, value=value)


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_cross_field_rule_boundary_passes(rule, tiny_arch_dict, write_arch):
    *_, ok_changes = RULE_CASES[rule]
    spec = load_arch(write_arch(_apply(tiny_arch_dict, ok_changes)))
    for (section, key), value in ok_changes.items():
        assert getattr(getattr(spec.arch, section), key) == value


def test_all_cross_field_violations_reported_together(tiny_arch_dict, write_arch, expect_problem):
    path = write_arch(_apply(tiny_arch_dict, {("core", "count"): 3, ("pim", "weight_bits"): 1, ("pim", "cols"): 1}))
    with pytest.raises(InputError) as err:
        load_arch(path)
    assert [p.path for p in err.value.problems] == ["core.count", "pim.weight_bits", "pim.cols"]
    assert err.value.format().startswith("error: 3 problems:")


# --------------------------------------------------------------------------
# technology node and overrides


def test_unknown_tech_node_lists_available_nodes(tiny_arch_dict, write_arch, expect_problem):
    path = write_arch(broken(tiny_arch_dict, "tech", "node", "5nm"))     # 7nm ships (derived): 5nm has no table
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "tech.node", "unknown technology node", "available: " + ", ".join(available_nodes()),
                   value="5nm")
    assert "45nm" in available_nodes()


def test_tech_node_is_a_name_not_a_path(tiny_arch_dict, write_arch, expect_problem):
    path = write_arch(broken(tiny_arch_dict, "tech", "node", "../tech/45nm"))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "tech.node", "unknown technology node")


def test_valid_tech_override_changes_the_table(arch_file, tiny_arch_dict, write_arch):
    base = load_arch(arch_file).tech
    dotted = load_arch(write_arch(broken(tiny_arch_dict, "tech", "overrides", {"arith_pj.int8_add": 0.05}), "a.yaml")).tech
    nested = load_arch(write_arch(broken(tiny_arch_dict, "tech", "overrides", {"arith_pj": {"int8_add": 0.05}}), "b.yaml")).tech
    assert base.arith_pj.int8_add != 0.05
    assert dotted.arith_pj.int8_add == nested.arith_pj.int8_add == 0.05
    # only the overridden entry moves
    assert dotted.arith_pj.int32_add == nested.arith_pj.int32_add == base.arith_pj.int32_add


@pytest.mark.parametrize("overrides, path_, fragments", [
    ({"arith_pj.int8_add": -1.0}, "tech.overrides.arith_pj.int8_add", ["= -1.0", "must be greater than 0"]),
    ({"arith_pj.int8_add": "cheap"}, "tech.overrides.arith_pj.int8_add", ["'cheap'", "must be a valid number"]),
    ({"arith_pj.int9_add": 1.0}, "tech.overrides.arith_pj.int9_add", ["unknown key", "int8_add, int32_add"]),
    ({"vdd_volts": 1.0}, "tech.overrides.vdd_volts", ["unknown key", "vdd_v"]),
    ({"vdd_v.x": 1.0}, "tech.overrides.vdd_v.x", ["vdd_v is a value, not a section"]),
    ({"vdd_v": float("inf")}, "tech.overrides.vdd_v", ["must be a finite number"]),
])
def test_bad_tech_override(tiny_arch_dict, write_arch, expect_problem, overrides, path_, fragments):
    path = write_arch(broken(tiny_arch_dict, "tech", "overrides", overrides))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, path_, *fragments)


def test_tech_overrides_must_be_a_mapping(tiny_arch_dict, write_arch, expect_problem):
    path = write_arch(broken(tiny_arch_dict, "tech", "overrides", [1, 2]))
    with pytest.raises(InputError) as err:
        load_arch(path)
    expect_problem(err.value, path, "tech.overrides", "must be a valid dictionary")


# --------------------------------------------------------------------------
# --set overrides


def test_set_changes_the_value(arch_file):
    spec = load_arch(arch_file, ["pim.adc_bits=5", "core.count=1", "pim.adc_model=sar", ("noc.flit_bits", 64)])
    assert (spec.arch.pim.adc_bits, spec.arch.core.count, spec.arch.pim.adc_model, spec.arch.noc.flit_bits) == (5, 1, "sar", 64)
    assert load_arch(arch_file).arch.pim.adc_bits == 4  # the file itself is untouched


def test_set_can_create_a_missing_section(write_arch):
    spec = load_arch(write_arch("name: bare\n"), ["memory.dram_bandwidth_gb_per_s=25.6"])
    assert spec.arch.memory.dram_bandwidth_gb_per_s == 25.6


def test_set_into_tech_overrides(arch_file):
    spec = load_arch(arch_file, ["tech.overrides.arith_pj.int8_add=0.05"])
    assert spec.tech.arith_pj.int8_add == 0.05


def test_set_ignores_workload_keys(arch_file):
    assert load_arch(arch_file, ["workload.timesteps=3"]).arch == load_arch(arch_file).arch


def test_set_without_equals(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["pim.adc_bits"])
    expect_problem(err.value, "--set", "pim.adc_bits", "expected KEY=VALUE", "pim.adc_bits=4")


@pytest.mark.parametrize("item, key", [("=4", ""), ("pim..adc_bits=4", "pim..adc_bits"), ("pim.=4", "pim.")])
def test_set_with_a_malformed_key(arch_file, expect_problem, item, key):
    with pytest.raises(InputError) as err:
        parse_set(item)
    expect_problem(err.value, "--set", key, "expected a dotted key")
    with pytest.raises(InputError):
        load_arch(arch_file, [item])


@pytest.mark.parametrize("item, path_, value", [("pim.adc_bits.x=3", "pim.adc_bits", 4), ("name.first=x", "name", "tiny")])
def test_set_into_a_non_section(arch_file, expect_problem, item, path_, value):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, [item])
    expect_problem(err.value, arch_file, path_, "is not a section", item.split("=")[0], value=value)


def test_set_value_is_validated_like_the_file(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["pim.adc_bits=99"])
    expect_problem(err.value, arch_file, "pim.adc_bits", "must be less than or equal to 16", value=99)
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["pim.adc_bits=six"])
    expect_problem(err.value, arch_file, "pim.adc_bits", "must be a valid integer", value="six")


def test_set_unknown_key(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["pim.adc_bitz=6"])
    expect_problem(err.value, arch_file, "pim.adc_bitz", "unknown key; allowed keys:", "adc_bits")


def test_set_can_break_a_cross_field_rule(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["core.count=4"])
    expect_problem(err.value, arch_file, "core.count", "noc.mesh_x * noc.mesh_y = 2", value=4)


# --------------------------------------------------------------------------
# all problems at once


def test_several_problems_reported_at_once(tiny_arch_dict, write_arch):
    tiny_arch_dict["pim"].update(adc_bits=0, adc_model="flash")
    tiny_arch_dict["core"]["lanes"] = "many"
    tiny_arch_dict["noc"]["bogus"] = 1
    path = write_arch(tiny_arch_dict)
    with pytest.raises(InputError) as err:
        load_arch(path)
    got = {p.path: p for p in err.value.problems}
    assert sorted(got) == ["core.lanes", "noc.bogus", "pim.adc_bits", "pim.adc_model"]
    assert all(p.file == str(path) for p in err.value.problems)
    text = err.value.format()
    assert text.startswith("error: 4 problems:")
    assert f"{path}: pim.adc_bits = 0: must be greater than or equal to 1" in text
    assert f"{path}: core.lanes = 'many': must be a valid integer" in text
    assert "noc.bogus = 1: unknown key; allowed keys: mesh_x" in text
    assert len(text.splitlines()) == 5


# --------------------------------------------------------------------------
# any value anywhere: a valid Arch or an InputError, never another exception

_FIELDS = [(s, k) for s, f in Arch.model_fields.items() if hasattr(f.annotation, "model_fields")
           for k in f.annotation.model_fields]
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(_FIELDS), value=_VALUES)
def test_any_value_gives_arch_or_input_error(tmp_path, field, value):
    section, key = field
    arch = yaml.safe_load("noc: {mesh_x: 4, mesh_y: 4}\n")
    arch.setdefault(section, {})[key] = value
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(arch), encoding="utf-8")
    try:
        spec = load_arch(path)
    except InputError as exc:
        assert exc.problems and all(p.file == str(path) for p in exc.problems)
        assert all(p.path.startswith(section) for p in exc.problems), exc.format()
    else:
        got = getattr(getattr(spec.arch, section), key)
        if hasattr(got, "model_dump"):  # a nested section (e.g. core.per_event): the keys given were kept
            got = {k: v for k, v in got.model_dump().items() if k in value}
        assert got == value or section == "tech"
        json.dumps(spec.arch.model_dump(), allow_nan=False)  # finite: reports stay valid JSON


def test_unknown_key_suggests_the_closest_allowed_key(tiny_arch_dict, write_arch):
    tiny_arch_dict["pim"]["adc_bit"] = 6
    with pytest.raises(InputError) as err:
        load_arch(write_arch(tiny_arch_dict))
    assert str(err.value.problems[0]).endswith("; did you mean adc_bits?")
