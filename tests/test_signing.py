"""Signed visitor IDs: minted per site, verified with every key, refused when tampered."""

from __future__ import annotations

import pytest

from cookieconsent.services.signing import (
    InvalidVisitorId,
    mint_visitor_id,
    sign_visitor_id,
    verify_visitor_id,
)

KEYS = ["old-key", "new-key"]


def test_minted_id_verifies_to_its_raw_id() -> None:
    raw_id, signed = mint_visitor_id(KEYS, "site-aaaaaaaa")
    assert signed.startswith(raw_id + ".")
    assert verify_visitor_id(KEYS, "site-aaaaaaaa", signed) == raw_id


def test_ids_are_random() -> None:
    assert len({mint_visitor_id(KEYS, "site-aaaaaaaa")[0] for _ in range(200)}) == 200


def test_id_from_another_site_is_refused() -> None:
    _, signed = mint_visitor_id(KEYS, "site-aaaaaaaa")
    with pytest.raises(InvalidVisitorId, match="another site"):
        verify_visitor_id(KEYS, "site-bbbbbbbb", signed)


def test_rotation_old_key_still_verifies_new_key_signs() -> None:
    raw_id, signed_with_old = mint_visitor_id(["old-key"], "site-aaaaaaaa")
    assert verify_visitor_id(KEYS, "site-aaaaaaaa", signed_with_old) == raw_id
    resigned = sign_visitor_id(KEYS, "site-aaaaaaaa", raw_id)
    assert resigned != signed_with_old
    with pytest.raises(InvalidVisitorId):
        verify_visitor_id(["old-key"], "site-aaaaaaaa", resigned)


def test_dropped_key_no_longer_verifies() -> None:
    _, signed = mint_visitor_id(["old-key"], "site-aaaaaaaa")
    with pytest.raises(InvalidVisitorId):
        verify_visitor_id(["new-key"], "site-aaaaaaaa", signed)


@pytest.mark.parametrize(
    "mangle",
    [
        # A middle character: the last one of base64 may only carry padding bits.
        lambda s: s[:-10] + ("A" if s[-10] != "A" else "B") + s[-9:],
        lambda s: ("A" if s[0] != "A" else "B") + s[1:],
        lambda s: s.split(".")[0],
        lambda s: "",
        lambda s: "x" * 500,
        lambda s: s + "é",
        lambda s: "short.sig",
    ],
    ids=["signature", "raw-id", "unsigned", "empty", "huge", "non-ascii", "garbage"],
)
def test_tampered_ids_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    _, signed = mint_visitor_id(KEYS, "site-aaaaaaaa")
    with pytest.raises(InvalidVisitorId):
        verify_visitor_id(KEYS, "site-aaaaaaaa", mangle(signed))


def test_signed_raw_id_of_wrong_shape_is_refused() -> None:
    signed = sign_visitor_id(KEYS, "site-aaaaaaaa", "not-22-characters")
    with pytest.raises(InvalidVisitorId):
        verify_visitor_id(KEYS, "site-aaaaaaaa", signed)
