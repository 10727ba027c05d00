"""Property tests of every local-file parser: any bytes, any TOML or JSON value → a parsed value or
the one typed error of that parser (`ConfigFileError`, `HistoryError`), never another exception, and
a file that was refused is never rewritten by a later save."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tm_tui.config.errors import ConfigFileError
from tm_tui.config.readers import load_json_object, load_toml
from tm_tui.config.tm_cli_files import TmCliConfig, read_tm_auth, read_tm_config, write_tm_auth
from tm_tui.config.tui_config import (
    TuiConfig,
    load_credentials,
    load_tui_config,
    save_tui_config,
    update_credentials,
)
from tm_tui.store.cache import Cache
from tm_tui.store.history import HistoryError, HistoryStore

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Keys the parsers look at, mixed with arbitrary ones, so generated documents hit the typed paths.
KNOWN_KEYS = [
    "controlplane_base", "timeout_seconds", "max_retries", "ca_bundle", "managed", "overrides",
    "gateway_provider", "gateway_api_key", "gateway_user_id", "gateway_model_id", "profile", "profiles",
    "active_profile", "ui", "theme", "last_section", "access_token", "refresh_token", "auth",
    "inference_api_key", "serverless_base_url", "control_plane_base_url", "version", "last_profile",
    "display_name", "models", "serverless", "id",
]  # fmt: skip
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8))

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["https://api.example", "http://10.0.0.1", "lambda", "nebius", "0", "-1", "  "]),
    st.dates(min_value=date(1, 1, 1)),
    st.times(),
    st.datetimes(timezones=st.just(UTC)),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)
toml_documents = st.dictionaries(keys, toml_values, max_size=8)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)


# Bytes that are often almost right: a valid document cut short, or with a byte flipped.
def _damaged(document: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.integers(0, len(document)).map(lambda n: document[:n]),
        st.tuples(st.integers(0, max(len(document) - 1, 0)), st.integers(0, 255)).map(
            lambda flip: document[: flip[0]] + bytes([flip[1]]) + document[flip[0] + 1 :]
        ),
    )


VALID_TM_CONFIG = b'controlplane_base = "https://api.example"\n[overrides]\ngateway_api_key = "k"\n'
VALID_AUTH = json.dumps({"access_token": "at", "refresh_token": "rt"}, indent=2).encode()
any_bytes = st.one_of(
    st.binary(max_size=200), _damaged(VALID_TM_CONFIG), _damaged(VALID_AUTH), st.text().map(str.encode)
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One directory reused by every example (hypothesis runs many examples per test)."""
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _file(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def _parses_or_config_error[T](parse: Callable[[], T]) -> T | ConfigFileError:
    try:
        return parse()
    except ConfigFileError as error:
        assert error.reason and "\n" not in error.reason
        return error


def _toml_bytes(document: dict) -> bytes:
    return tomli_w.dumps(document).encode()


@PROPERTY
@given(data=any_bytes)
def test_readers_take_any_bytes(scratch: Path, data: bytes) -> None:
    toml_path, json_path = _file(scratch, "any.toml", data), _file(scratch, "any.json", data)
    assert isinstance(_parses_or_config_error(lambda: load_toml(toml_path)), dict | ConfigFileError)
    result = _parses_or_config_error(lambda: load_json_object(json_path))
    assert isinstance(result, dict | ConfigFileError)


@PROPERTY
@given(data=any_bytes)
def test_tm_cli_files_take_any_bytes(scratch: Path, data: bytes) -> None:
    config = _parses_or_config_error(lambda: read_tm_config(_file(scratch, "config.toml", data)))
    assert isinstance(config, TmCliConfig | ConfigFileError)
    auth = _parses_or_config_error(lambda: read_tm_auth(_file(scratch, "auth.json", data)))
    assert auth is None or isinstance(auth, ConfigFileError) or auth.access_token.reveal().strip()


@PROPERTY
@given(document=toml_documents, managed=st.dictionaries(keys, toml_values, max_size=5))
def test_tm_config_takes_any_toml_value(scratch: Path, document: dict, managed: dict) -> None:
    document = {**document, "overrides": managed} if managed else document
    config = _parses_or_config_error(
        lambda: read_tm_config(_file(scratch, "config.toml", _toml_bytes(document)))
    )
    if isinstance(config, TmCliConfig):
        assert config.exists
        for problem in config.problems:  # a single bad key is a problem, not a failure
            assert isinstance(problem, ConfigFileError) and problem.path.name == "config.toml"


@PROPERTY
@given(value=json_values)
def test_auth_json_takes_any_json_value(scratch: Path, value: object) -> None:
    path = _file(scratch, "auth.json", json.dumps(value).encode())
    auth = _parses_or_config_error(lambda: read_tm_auth(path))
    usable = (
        isinstance(value, dict)
        and isinstance(value.get("access_token"), str)
        and bool(value["access_token"].strip())
        and isinstance(value.get("refresh_token"), str | None)
    )
    assert isinstance(auth, ConfigFileError) != usable


@PROPERTY
@given(document=toml_documents, profiles=st.dictionaries(keys, toml_values, max_size=3))
def test_tui_config_takes_any_toml_value(scratch: Path, document: dict, profiles: dict) -> None:
    document = {**document, "profiles": profiles} if profiles else document
    _file(scratch, "config.toml", _toml_bytes(document))
    result = _parses_or_config_error(lambda: load_tui_config(scratch))
    assert isinstance(result, TuiConfig | ConfigFileError)
    if isinstance(result, TuiConfig):  # what parsed also writes back and parses again
        save_tui_config(scratch, result)
        assert load_tui_config(scratch).active_profile == result.active_profile


@PROPERTY
@given(value=json_values | st.dictionaries(keys, st.dictionaries(keys, json_values, max_size=3)))
def test_credentials_take_any_json_value(scratch: Path, value: object) -> None:
    _file(scratch, "credentials.json", json.dumps(value).encode())
    result = _parses_or_config_error(lambda: load_credentials(scratch))
    assert isinstance(result, dict | ConfigFileError)


@PROPERTY
@given(data=any_bytes | json_values.map(lambda v: json.dumps({"version": 1, "profiles": v}).encode()))
def test_cache_takes_any_bytes_and_names_a_broken_file(scratch: Path, data: bytes) -> None:
    path = _file(scratch, "cache.json", data)
    cache = Cache.load(path)  # never raises: the cache is only a hint
    cache.profile("default")
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):
        assert cache.problem is not None and cache.problem.path == path


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300) | st.binary(max_size=100).map(lambda b: b"SQLite format 3\x00" + b))
def test_history_takes_any_bytes_and_leaves_a_refused_file_alone(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as name:
        path = _file(Path(name), "history.sqlite3", data)
        try:
            HistoryStore(path).close()
        except HistoryError as error:
            assert str(path) in str(error)
            assert path.read_bytes() == data


# -- a refused file is never replaced ---------------------------------------------------------------


@PROPERTY
@given(data=any_bytes)
def test_saves_never_replace_a_file_that_does_not_parse(scratch: Path, data: bytes) -> None:
    auth = _file(scratch, "auth.json", data)
    if isinstance(_parses_or_config_error(lambda: load_json_object(auth)), ConfigFileError):
        with pytest.raises(ConfigFileError, match="not overwritten"):
            write_tm_auth(auth, {"access_token": "new"})
        assert auth.read_bytes() == data
    config = _file(scratch, "config.toml", data)
    if isinstance(_parses_or_config_error(lambda: load_tui_config(scratch)), ConfigFileError):
        with pytest.raises(ConfigFileError):
            save_tui_config(scratch, TuiConfig(active_profile="x"))
        assert config.read_bytes() == data
    credentials = _file(scratch, "credentials.json", data)
    if isinstance(_parses_or_config_error(lambda: load_credentials(scratch)), ConfigFileError):
        with pytest.raises(ConfigFileError):
            update_credentials(scratch, "default", {"inference_api_key": "k"})
        assert credentials.read_bytes() == data
