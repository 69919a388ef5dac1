"""Built-in banner texts. Site owners override any of them per language."""

from __future__ import annotations

from .texts_more import MORE_BANNER_TEXTS, MORE_CATEGORY_TEXTS, MORE_DECLARATION_TEXTS

BANNER_TEXT_KEYS = (
    "title",
    "description",
    "policy_link",
    "accept_all",
    "reject_all",
    "preferences",
    "preferences_title",
    "preferences_description",
    "save",
    "close",
    "always_on",
    "reopen",
    "withdraw",
    "gpc_honored",
    "error",
    "queued",
    "opt_out_description",
    "do_not_sell",
    "notice_description",
    "dismiss",
    "policy_updated",
    "your_data",
    "history",
    "export",
    "erase",
    "erase_confirm",
    "erased",
    "receipt",
)

# How long a site's own text may be, in characters: a button label must fit its button, a title
# its heading; the rest is prose. The schema, the configuration and `sites texts` all ask here.
LABEL_LIMIT = 60
TITLE_LIMIT = 200
PROSE_LIMIT = 2000
LABEL_TEXT_KEYS = frozenset(
    {
        "always_on",
        "accept_all",
        "reject_all",
        "preferences",
        "save",
        "close",
        "reopen",
        "withdraw",
        "do_not_sell",
        "dismiss",
        "history",
        "export",
        "erase",
        "receipt",
        "policy_link",
    }
)
# A category's ``title`` is limited as the banner's is.
TITLE_TEXT_KEYS = frozenset({"title", "preferences_title", "your_data"})
TEXT_LIMITS: dict[str, int] = {
    **dict.fromkeys(LABEL_TEXT_KEYS, LABEL_LIMIT),
    **dict.fromkeys(TITLE_TEXT_KEYS, TITLE_LIMIT),
}


def text_limit(key: str) -> int:
    """The most characters a site's text under ``key`` may have (a label, a title or prose)."""
    return TEXT_LIMITS.get(key, PROSE_LIMIT)


def text_length_error(key: str, value: str) -> str | None:
    """The message for a text too long for ``key``, or ``None`` when it fits."""
    limit = text_limit(key)
    return f"At most {limit} characters." if len(value) > limit else None


# Texts of the printable consent receipt.
RECEIPT_TEXT_KEYS = (
    "receipt_title",
    "receipt_intro",
    "receipt_site",
    "receipt_visitor",
    "receipt_action",
    "receipt_time",
    "receipt_policy",
    "receipt_region",
    "receipt_purposes",
    "receipt_allowed",
    "receipt_refused",
    "receipt_expires",
    "receipt_withdrawal",
    "receipt_print",
    # The printable receipt's error pages: a link that is not valid, a choice not recorded, the
    # database not answering.
    "receipt_invalid",
    "receipt_not_found",
    "receipt_unavailable",
)

# Texts of the public cookie declaration and of the widget's data-role="declaration" (never in
# the script: the page and the declaration's JSON carry them). ``{date}`` and ``{n}`` are filled in.
DECLARATION_TEXT_KEYS = (
    "declaration_title",
    "declaration_intro",
    "declaration_updated",
    "declaration_cookie",
    "declaration_service",
    "declaration_domain",
    "declaration_purpose",
    "declaration_lifetime",
    "declaration_day",
    "declaration_days",
    "declaration_session",
    # The consent service's own cookies, declared under the essential category.
    "declaration_consent_service",
    "declaration_consent_cookie",
    "declaration_consent_session",
    "declaration_no_cookies",
    "declaration_not_found",
)

DECLARATION_TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "declaration_title": "Công bố về cookie",
        "declaration_intro": (
            "Trang này liệt kê các cookie mà trang web sử dụng, theo mục đích, cùng dịch vụ đặt "
            "chúng và thời gian lưu giữ."
        ),
        "declaration_updated": "Cập nhật lần cuối: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Dịch vụ",
        "declaration_domain": "Tên miền",
        "declaration_purpose": "Mục đích",
        "declaration_lifetime": "Thời gian lưu",
        "declaration_day": "1 ngày",
        "declaration_days": "{n} ngày",
        "declaration_session": "Đến khi đóng trình duyệt",
        "declaration_consent_service": "Quản lý sự đồng ý cookie",
        "declaration_consent_cookie": (
            "Lưu lựa chọn về cookie của bạn để không hỏi lại ở mỗi trang."
        ),
        "declaration_consent_session": (
            "Ghi nhận rằng lựa chọn của bạn đã được xác nhận trong phiên trình duyệt này."
        ),
        "declaration_no_cookies": "Không có cookie nào được khai báo cho mục này.",
        "declaration_not_found": "Không có trang web nào ở địa chỉ này.",
    },
    "en": {
        "declaration_title": "Cookie declaration",
        "declaration_intro": (
            "This page lists the cookies this website uses, by purpose, with the service that sets "
            "them and how long they are kept."
        ),
        "declaration_updated": "Last changed: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Service",
        "declaration_domain": "Domain",
        "declaration_purpose": "Purpose",
        "declaration_lifetime": "Kept for",
        "declaration_day": "1 day",
        "declaration_days": "{n} days",
        "declaration_session": "Until the browser is closed",
        "declaration_consent_service": "Cookie consent",
        "declaration_consent_cookie": (
            "Keeps your cookie choice so that you are not asked again on every page."
        ),
        "declaration_consent_session": (
            "Notes that your choice was confirmed during this browser session."
        ),
        "declaration_no_cookies": "No cookies are declared for this category.",
        "declaration_not_found": "There is no website at this address.",
    },
    **MORE_DECLARATION_TEXTS,
}

BANNER_TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Chúng tôi tôn trọng quyền riêng tư của bạn",
        "description": (
            "Chúng tôi dùng cookie cần thiết để trang web hoạt động. Với sự đồng ý của bạn, "
            "chúng tôi cũng dùng cookie để phân tích lượt truy cập và cho tiếp thị. "
            "Bạn có thể chấp nhận, từ chối hoặc chọn từng mục, và thay đổi lựa chọn bất cứ lúc nào."
        ),
        "policy_link": "Chính sách bảo vệ dữ liệu cá nhân",
        "accept_all": "Chấp nhận tất cả",
        "reject_all": "Từ chối tất cả",
        "preferences": "Tùy chọn",
        "preferences_title": "Tùy chọn cookie",
        "preferences_description": (
            "Chọn những mục bạn đồng ý. Cookie cần thiết luôn bật vì trang web không thể "
            "hoạt động nếu thiếu chúng."
        ),
        "save": "Lưu lựa chọn",
        "close": "Đóng",
        "always_on": "Luôn bật",
        "reopen": "Cài đặt cookie",
        "withdraw": "Rút lại sự đồng ý",
        "gpc_honored": (
            "Đã tôn trọng yêu cầu từ chối: trình duyệt của bạn gửi tín hiệu "
            "Global Privacy Control, nên chúng tôi không bán hay chia sẻ dữ liệu của bạn "
            "cho tiếp thị."
        ),
        "error": "Chưa lưu được lựa chọn của bạn. Vui lòng thử lại.",
        "queued": "Chưa lưu được lựa chọn của bạn: chúng tôi sẽ tự gửi lại khi có kết nối.",
        "opt_out_description": (
            "Chúng tôi và đối tác dùng cookie để phân tích và hiển thị quảng cáo phù hợp. "
            "Bạn có thể từ chối việc bán hoặc chia sẻ thông tin cá nhân của mình bất cứ lúc nào."
        ),
        "do_not_sell": "Không bán hoặc chia sẻ thông tin cá nhân của tôi",
        "notice_description": (
            "Trang web này dùng cookie để phân tích và tiếp thị. Bạn có thể từ chối chúng."
        ),
        "dismiss": "Đã hiểu",
        "policy_updated": "Chúng tôi đã cập nhật chính sách bảo vệ dữ liệu cá nhân. Thay đổi:",
        "your_data": "Dữ liệu đồng ý của bạn",
        "history": "Lịch sử lựa chọn",
        "export": "Tải xuống (JSON)",
        "erase": "Xóa dữ liệu đồng ý của tôi",
        "erase_confirm": (
            "Xóa dữ liệu cá nhân trong các bản ghi đồng ý của bạn? Lựa chọn hiện tại sẽ bị hủy."
        ),
        "erased": "Đã xóa dữ liệu đồng ý của bạn.",
        "receipt": "Biên nhận",
        "receipt_title": "Biên nhận đồng ý",
        "receipt_intro": "Bản ghi này xác nhận lựa chọn của bạn về cookie trên trang web.",
        "receipt_site": "Trang web",
        "receipt_visitor": "Mã khách truy cập",
        "receipt_action": "Hành động",
        "receipt_time": "Thời điểm",
        "receipt_policy": "Phiên bản chính sách",
        "receipt_region": "Khu vực",
        "receipt_purposes": "Mục đích",
        "receipt_allowed": "Đồng ý",
        "receipt_refused": "Từ chối",
        "receipt_expires": "Hết hạn",
        "receipt_withdrawal": (
            "Bạn đã rút lại sự đồng ý. Từ nay, cookie không cần thiết sẽ không được dùng và dữ "
            "liệu cookie đã khai báo bị xóa khỏi trình duyệt của bạn. Việc xử lý trước khi rút "
            "lại vẫn hợp pháp. Bạn có thể đồng ý lại bất cứ lúc nào."
        ),
        "receipt_print": "In biên nhận",
        "receipt_invalid": (
            "Liên kết biên nhận này không hợp lệ. Hãy mở lại biên nhận từ mục Cài đặt cookie trên "
            "trang web."
        ),
        "receipt_not_found": (
            "Không có lựa chọn đã ghi nhận nào khớp với liên kết biên nhận này. Hãy mở lại biên "
            "nhận từ mục Cài đặt cookie trên trang web."
        ),
        "receipt_unavailable": "Hiện chưa thể hiển thị biên nhận. Vui lòng thử lại sau vài phút.",
    },
    "en": {
        "title": "We respect your privacy",
        "description": (
            "We use essential cookies to make this site work. With your consent, we also use "
            "cookies to analyse traffic and for marketing. You can accept, reject or choose "
            "per category, and change your mind at any time."
        ),
        "policy_link": "Privacy policy",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "preferences": "Preferences",
        "preferences_title": "Cookie preferences",
        "preferences_description": (
            "Choose what you agree to. Essential cookies are always on because the site "
            "cannot work without them."
        ),
        "save": "Save choices",
        "close": "Close",
        "always_on": "Always on",
        "reopen": "Cookie settings",
        "withdraw": "Withdraw consent",
        "gpc_honored": (
            "Opt-out request honored: your browser sent a Global Privacy Control signal, so we "
            "do not sell or share your data for marketing."
        ),
        "error": "Your choice could not be saved. Please try again.",
        "queued": "Your choice is not saved yet: we will send it again as soon as we can.",
        "opt_out_description": (
            "We and our partners use cookies for analytics and personalised advertising. You can "
            "opt out of the sale or sharing of your personal information at any time."
        ),
        "do_not_sell": "Do Not Sell or Share My Personal Information",
        "notice_description": (
            "This site uses cookies for analytics and marketing. You can refuse them."
        ),
        "dismiss": "OK",
        "policy_updated": "We have updated our privacy policy. What changed:",
        "your_data": "Your consent data",
        "history": "History of your choices",
        "export": "Download (JSON)",
        "erase": "Delete my consent data",
        "erase_confirm": (
            "Delete the personal data in your consent records? Your current choice is cancelled."
        ),
        "erased": "Your consent data has been deleted.",
        "receipt": "Receipt",
        "receipt_title": "Consent receipt",
        "receipt_intro": "This record confirms your cookie choice on this website.",
        "receipt_site": "Website",
        "receipt_visitor": "Visitor ID",
        "receipt_action": "Action",
        "receipt_time": "Time",
        "receipt_policy": "Policy version",
        "receipt_region": "Region",
        "receipt_purposes": "Purposes",
        "receipt_allowed": "Allowed",
        "receipt_refused": "Refused",
        "receipt_expires": "Expires",
        "receipt_withdrawal": (
            "You withdrew your consent. From now on, non-essential cookies are not used and the "
            "declared cookie data is removed from your browser. Processing before the withdrawal "
            "remains lawful. You can consent again at any time."
        ),
        "receipt_print": "Print receipt",
        "receipt_invalid": (
            "This receipt link is not valid. Open your receipt again from Cookie settings on the "
            "website."
        ),
        "receipt_not_found": (
            "No recorded choice matches this receipt link. Open your receipt again from Cookie "
            "settings on the website."
        ),
        "receipt_unavailable": (
            "The receipt cannot be shown right now. Please try again in a few minutes."
        ),
    },
}

CATEGORY_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "preferences": {
        "vi": {
            "title": "Tùy chọn cá nhân",
            "description": "Ghi nhớ lựa chọn như ngôn ngữ hay khu vực để cá nhân hóa trang.",
        },
        "en": {
            "title": "Preferences",
            "description": "Remember choices such as language or region to personalise the site.",
        },
    },
    "essential": {
        "vi": {
            "title": "Cần thiết",
            "description": "Giữ phiên đăng nhập, giỏ hàng, bảo mật và chính lựa chọn cookie này.",
        },
        "en": {
            "title": "Essential",
            "description": "Keep you signed in, your basket, security, and this very choice.",
        },
    },
    "analytics": {
        "vi": {
            "title": "Phân tích",
            "description": "Đếm lượt truy cập và đo cách trang được dùng để cải thiện trang.",
        },
        "en": {
            "title": "Analytics",
            "description": "Count visits and measure how the site is used, to improve it.",
        },
    },
    "marketing": {
        "vi": {
            "title": "Tiếp thị",
            "description": (
                "Hiển thị quảng cáo phù hợp và đo hiệu quả quảng cáo trên các trang khác."
            ),
        },
        "en": {
            "title": "Marketing",
            "description": "Show relevant ads and measure their effect across other sites.",
        },
    },
}

BANNER_TEXTS.update(MORE_BANNER_TEXTS)
for _language, _declaration in DECLARATION_TEXTS.items():
    BANNER_TEXTS[_language].update(_declaration)
for _name, _texts in MORE_CATEGORY_TEXTS.items():
    CATEGORY_TEXTS[_name].update(_texts)

# Every built-in language carries every key; sites choose which ones their widget carries.
SUPPORTED_LANGUAGES = tuple(BANNER_TEXTS)
DEFAULT_LANGUAGES = ("vi", "en")
DEFAULT_CATEGORIES = ("essential", "analytics", "marketing")
