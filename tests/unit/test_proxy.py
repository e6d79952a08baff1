"""The hub's proxy passes websocket frames on as they came (text or binary) and takes large ones."""

from types import SimpleNamespace

from hub_config import proxy
from hub_config.proxy import MAX_MESSAGE_BYTES, ProxyHandler, forward_from_browser


class Upstream:
    def __init__(self):
        self.sent = []

    def write_message(self, message, binary=False):
        self.sent.append((message, binary))


def handler():
    activity = []
    fake = SimpleNamespace(
        ws_client=Upstream(),
        target={"prefix": "/user/clinician"},
        proxy=SimpleNamespace(update_last_activity=activity.append),
    )
    return fake, activity


def test_binary_frames_from_the_browser_stay_binary_and_text_stays_text():
    fake, activity = handler()
    forward_from_browser(fake, b"\x00\xffwidget buffer")
    forward_from_browser(fake, '{"msg_type": "comm_msg"}')
    assert fake.ws_client.sent == [(b"\x00\xffwidget buffer", True), ('{"msg_type": "comm_msg"}', False)]
    assert activity == ["/user/clinician", "/user/clinician"]  # the idle culler sees the activity


def test_messages_up_to_the_limit_pass_both_ways():
    assert ProxyHandler.on_message is forward_from_browser
    assert ProxyHandler.max_message_size == MAX_MESSAGE_BYTES > 10 * 1024 * 1024  # tornado's default
    assert proxy.handlers.websocket_connect.keywords == {"max_message_size": MAX_MESSAGE_BYTES}
