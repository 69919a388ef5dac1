"""The console speaks the console's language where it used to slip into English, and says
what is wrong: the sign-in flash, the configuration validator's messages, the sign-in hint."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .test_console_i18n import catalog_vi


def test_a_signed_out_visit_flashes_the_sign_in_message_in_vietnamese(
    console: FlaskClient,
) -> None:
    response = console.get("/admin/", headers={"Accept-Language": "vi"})
    assert response.status_code == 302
    assert "/admin/sign-in" in response.headers["Location"]
    page = console.get(response.headers["Location"], headers={"Accept-Language": "vi"})
    body = page.get_data(as_text=True)
    assert "Please log in" not in body
    expected = catalog_vi()["Sign in to open the console."]
    assert f'<p class="notice notice-info" role="status">{expected}</p>' in body


def test_the_sign_in_hint_shows_the_command_as_code(console: FlaskClient) -> None:
    for language in ("vi", "en"):
        body = console.get("/admin/sign-in", headers={"Accept-Language": language}).get_data(
            as_text=True
        )
        assert "<code>cookieconsent users create</code>" in body
        assert "`" not in body


def test_the_configuration_validators_messages_are_translated() -> None:
    from marshmallow import ValidationError

    from cookieconsent import create_app
    from cookieconsent.admin.messages import translate
    from cookieconsent.schemas import LIFETIME_ERROR, SiteConfigSchema

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    catalog = catalog_vi()
    try:
        SiteConfigSchema().load({"retention_days": 5, "region_modes": {"XX": "opt-in"}})
    except ValidationError as error:
        messages = error.messages
    else:
        raise AssertionError("the schema refuses these values")
    range_message = messages["retention_days"][0]  # type: ignore[index]
    assert range_message == "Must be greater than or equal to 30 and less than or equal to 3650."
    with app.test_request_context("/admin/", headers={"Accept-Language": "vi"}):
        assert translate(range_message) == "Từ 30 đến 3650."
        assert translate(LIFETIME_ERROR) == catalog[LIFETIME_ERROR]
        assert translate("A region is VN, US-CA, EU, EEA, * or unknown.").startswith("Khu vực")
        assert translate("Must be greater than or equal to 1.") == "Tối thiểu 1."
        assert translate("Must be less than or equal to 60000.") == "Tối đa 60000."
        assert translate("Longer than maximum length 200.") == "Dài hơn 200 ký tự."
        assert translate("Must be one of: opt-in, opt-out.") == "Chọn một trong: opt-in, opt-out."
        for message in (
            "Not a valid integer.",
            "Not a valid URL.",
            "Field may not be null.",
            "Missing data for required field.",
        ):
            assert translate(message) == catalog[message] != message
    with app.test_request_context("/admin/", headers={"Accept-Language": "en"}):
        assert translate(range_message) == "Between 30 and 3650."


@pytest.mark.parametrize(
    ("domain", "start"),
    [
        ("com.vn", "com.vn là một hậu tố công cộng"),
        ("*.com.vn", "*.com.vn là ký tự đại diện trên hậu tố công cộng com.vn"),
        ("http://x.vn/path", "http://x.vn/path: hãy nhập tên máy chủ"),
        ("not a domain", "not a domain không phải là tên máy chủ"),
    ],
)
def test_domain_refusals_read_in_vietnamese(domain: str, start: str) -> None:
    """The messages of services/network.py, with the typed value kept, in the Vietnamese console."""
    from cookieconsent import create_app
    from cookieconsent.admin.messages import translate
    from cookieconsent.services.network import normalize_domain

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(ValueError) as refused:
        normalize_domain(domain)
    with app.test_request_context("/admin/", headers={"Accept-Language": "vi"}):
        assert translate(str(refused.value)).startswith(start)
    with app.test_request_context("/admin/", headers={"Accept-Language": "en"}):
        assert translate(str(refused.value)).startswith(domain)
