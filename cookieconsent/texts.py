"""Built-in banner texts. Site owners override any of them per language."""

from __future__ import annotations

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
)

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
    },
}

CATEGORY_TEXTS: dict[str, dict[str, dict[str, str]]] = {
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

SUPPORTED_LANGUAGES = tuple(BANNER_TEXTS)
DEFAULT_CATEGORIES = ("essential", "analytics", "marketing")
