import pytest
from pydantic import ValidationError

from tm_tui.config.profiles import Profile, default_profile, demo_profile

USER_ID = "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"


def test_default_profile_is_zero_configuration_and_shares_tm_files() -> None:
    profile = default_profile()
    assert profile.name == "default" and profile.uses_tm_cli_files
    assert profile.to_toml_table() == {}
    assert not Profile(name="work").uses_tm_cli_files
    assert Profile(name="work", uses_tm_cli_files=True).to_toml_table() == {"uses_tm_cli_files": True}


def test_fields_are_normalised() -> None:
    profile = Profile(
        name="work",
        control_plane_base_url="https://api.example/",
        gateway_provider=" YOTTA ",
        on_demand_hosts={"Lambda": "http://127.0.0.1:9/"},
        on_demand_user_id=USER_ID.upper(),
        surface="on-demand",
        model="  ",
    )
    assert profile.control_plane_base_url == "https://api.example"
    assert profile.gateway_provider == "yotta"
    assert profile.on_demand_hosts == {"lambda": "http://127.0.0.1:9"}
    assert profile.on_demand_user_id == USER_ID and profile.surface == "on_demand" and profile.model is None


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "has space"},
        {"name": ""},
        {"name": "w", "on_demand_user_id": "not-a-uuid"},
        {"name": "w", "gateway_provider": "aws"},
        {"name": "w", "timeout_s": 0},
        {"name": "w", "max_retries": -1},
        {"name": "w", "serverless_base_url": "serverless.example"},
        {"name": "w", "on_demand_hosts": {"gcp": "https://x"}},
    ],
)
def test_invalid_fields_are_rejected(fields: dict) -> None:
    with pytest.raises(ValidationError):
        Profile(**fields)


def test_demo_profile_points_every_provider_at_the_emulator_and_keeps_secrets_in_memory() -> None:
    url = "http://127.0.0.1:8765"
    key = "tmk_demo_0123456789abcdef"
    profile = demo_profile(
        {"serverless": url, "on_demand": url, "control_plane": url},
        {"inference_api_key": key, "control_plane_token": "cp_demo_0123456789", "on_demand_user_id": USER_ID},
    )
    assert profile.ephemeral and not profile.uses_tm_cli_files
    assert profile.on_demand_hosts == {"nebius": url, "lambda": url, "yotta": url}
    assert profile.serverless_base_url == url and profile.on_demand_user_id == USER_ID
    assert profile.inline_secret("inference_api_key").reveal() == key  # type: ignore[union-attr]
    assert key not in repr(profile) and key not in str(profile)
    assert "inline_credentials" not in profile.to_toml_table()
    assert key not in profile.model_dump_json()
