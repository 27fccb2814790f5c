"""Django middleware loaded by `workbench_offline_settings` inside Label Studio's process."""

from collections.abc import Callable
from typing import Any

LIVE_TIPS_PATH = "/heidi-tips"


class NoLiveTips:
    """Answer the live-tips request locally (404, `{}`) instead of fetching the tips from GitHub."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.path.rstrip("/") == LIVE_TIPS_PATH:
            from django.http import HttpResponse

            return HttpResponse("{}", content_type="application/json", status=404)
        return self.get_response(request)
