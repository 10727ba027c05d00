import pytest

from tm_tui.config.values import (
    parse_base_url,
    parse_ca_bundle,
    parse_non_negative_int,
    parse_positive_float,
    parse_provider,
    parse_uuid,
    provider_base_url,
    provider_for_cloud,
)
from tm_tui.surface import Surface


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("nebius", "https://external.nebius.tensormesh.ai"),
        ("  LAMBDA ", "https://external.lambda.tensormesh.ai"),
        ("Yotta", "https://external.yotta.tensormesh.ai"),
    ],
)
def test_provider_table_is_case_insensitive_and_trimmed(name: str, url: str) -> None:
    assert provider_base_url(name) == url


def test_unknown_provider_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValueError, match="nebius, lambda, yotta"):
        parse_provider("aws")


def test_cloud_provider_mapping() -> None:
    assert provider_for_cloud("CLOUD_PROVIDER_NEBIUS") == "nebius"
    assert provider_for_cloud("CLOUD_PROVIDER_LAMBDA") == "lambda"
    assert provider_for_cloud("cloud_provider_yotta") == "yotta"
    assert provider_for_cloud("CLOUD_PROVIDER_UNSPECIFIED") is None
    assert provider_for_cloud(None) is None


def test_uuid_is_canonicalised_and_errors_do_not_echo_the_value() -> None:
    assert parse_uuid(" 3F8E2A4C1B2D4E5F8A9B0C1D2E3F4A5B ") == "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
    with pytest.raises(ValueError) as info:
        parse_uuid("tmk_secretish_value")
    assert "tmk_secretish_value" not in str(info.value)


def test_base_urls_lose_trailing_slashes_and_need_a_scheme() -> None:
    assert parse_base_url("http://127.0.0.1:8000//") == "http://127.0.0.1:8000"
    for bad in ("127.0.0.1:8000", "ftp://x", "https://", 42):
        with pytest.raises(ValueError):
            parse_base_url(bad)


def test_numbers() -> None:
    assert parse_positive_float("2.5") == 2.5 and parse_positive_float(3) == 3.0
    assert parse_non_negative_int(" 2 ") == 2 and parse_non_negative_int(0) == 0
    for bad in (0, -1, "x", True, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            parse_positive_float(bad)
    for bad in (-1, 1.5, "1.5", True, "x"):
        with pytest.raises(ValueError):
            parse_non_negative_int(bad)


@pytest.mark.parametrize("raw", ["on-demand", "On_Demand", " ondemand ", Surface.ON_DEMAND])
def test_surface_spellings(raw: object) -> None:
    assert Surface.parse(raw) is Surface.ON_DEMAND
    assert Surface.parse("Serverless") is Surface.SERVERLESS
    assert (Surface.ON_DEMAND.label, Surface.ON_DEMAND == "on_demand") == ("on-demand", True)


@pytest.mark.parametrize("raw", ["edge", "", 3, None])
def test_bad_surfaces_say_what_is_expected(raw: object) -> None:
    with pytest.raises(ValueError, match="expected serverless or on-demand"):
        Surface.parse(raw)


def test_ca_bundle_must_be_an_existing_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ca.pem").write_text("pem")
    assert parse_ca_bundle("~/ca.pem") == str(tmp_path / "ca.pem")
    for bad in ("~/missing.pem", str(tmp_path)):
        with pytest.raises(ValueError):
            parse_ca_bundle(bad)
