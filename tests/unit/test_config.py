import pytest

from perfopt.config import load_settings
from perfopt.errors import ConfigError


def write(tmp_path, body):
    (tmp_path / "pyproject.toml").write_text("[tool.perfopt]\n" + body)
    return tmp_path


def test_precedence_defaults_pyproject_env_flags(tmp_path):
    root = write(tmp_path, "top = 7\nmin_speedup = 1.2\nmodel = 'from-toml'\n")
    s = load_settings(root, env={})
    assert (s.top, s.min_speedup, s.model) == (7, 1.2, "from-toml")
    s = load_settings(root, env={"PERFOPT_MODEL": "from-env"})
    assert s.model == "from-env"
    s = load_settings(root, {"model": "from-flag", "top": None}, env={"PERFOPT_MODEL": "x"})
    assert (s.model, s.top) == ("from-flag", 7)


def test_unknown_key_names_valid_ones(tmp_path):
    root = write(tmp_path, "topp = 3\n")
    with pytest.raises(ConfigError, match="unknown setting 'topp'.*valid settings: .*top"):
        load_settings(root, env={})


@pytest.mark.parametrize("body,msg", [
    ("top = 0\n", "top must be >= 1"),
    ("min_speedup = 0.9\n", "min_speedup must be >= 1.0"),
    ("profiler = 'perf'\n", "profiler must be one of"),
    ("top = 'many'\n", "setting 'top'"),
    ("max_cost_usd = 2.0\n", "max_cost_usd needs price_per_mtok_in and price_per_mtok_out"),
])
def test_invalid_values_say_what_to_do(tmp_path, body, msg):
    with pytest.raises(ConfigError, match=msg):
        load_settings(write(tmp_path, body), env={})


def test_broken_toml_is_a_user_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.perfopt\n")
    with pytest.raises(ConfigError, match="fix the TOML syntax"):
        load_settings(tmp_path, env={})


def test_a_cost_cap_with_a_price_is_valid(tmp_path):
    s = load_settings(write(tmp_path, "max_cost_usd = 2.0\nprice_per_mtok_out = 10.0\n"), env={})
    assert (s.max_cost_usd, s.price_per_mtok_out) == (2.0, 10.0)
