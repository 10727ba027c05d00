import pickle

import pytest

from tm_tui.config.secrets import Secret, mask, remember_in_use, scrub


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("tmk_live_5e6f7a8b9c0d1e2f", "tmk_…1e2f"),
        ("123456789", "1234…6789"),
        ("12345678", "***"),
        ("a", "***"),
        ("", ""),
        (None, "not set"),
    ],
)
def test_mask_follows_the_tm_cli(secret: str | None, shown: str) -> None:
    assert mask(secret) == shown
    if secret is not None:
        assert mask(Secret(secret)) == shown


def test_secret_never_shows_in_repr_str_or_fstrings() -> None:
    raw = "tmk_live_5e6f7a8b9c0d1e2f"
    secret = Secret(raw)
    for text in (repr(secret), str(secret), f"{secret}", repr([secret]), repr({"k": secret})):
        assert raw not in text
        assert "5e6f7a8b9c0d" not in text
    assert secret.reveal() == raw


def test_secret_equality_and_truthiness() -> None:
    assert Secret("abc") == Secret("abc") and Secret("abc") != Secret("abd") and Secret("abc") != "abc"
    assert not Secret("") and Secret("x")


def test_secret_refuses_pickling() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("tmk_live_5e6f7a8b9c0d1e2f"))


def test_scrub_masks_every_credential_in_use() -> None:
    remember_in_use(Secret("tmk_scrub_test_0123456789"), "tmcp_scrub_test_abcdef", None, "short")
    text = "key tmk_scrub_test_0123456789 and token tmcp_scrub_test_abcdef, short stays"
    assert scrub(text) == "key tmk_…6789 and token tmcp…cdef, short stays"
