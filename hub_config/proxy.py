"""The hub's proxy: the Python port of configurable-http-proxy (0.4.0), with binary websocket
frames from the browser passed on as binary, and room for large websocket messages.

0.4.0 forwards every browser frame to the server with ``write_message(message)``, which sends
bytes as a text frame; the notebook server then finds invalid UTF-8 and closes the kernel's
websocket. Jupyter widgets send binary frames (itkwidgets does when the viewer reports its state),
so the workstation's kernel connection dropped and the next widget message was lost.

tornado closes a websocket on a message over 10 MiB unless told otherwise, and a widget message
carries a whole image (an upload to the reading app, a volume to the viewer): both sides of the
proxy take up to MAX_MESSAGE_BYTES, as the workstation's notebook server does.

Run as ``python -m hub_config.proxy`` with configurable-http-proxy's arguments.
"""

import functools
import sys

from configurable_http_proxy import handlers
from configurable_http_proxy.cli import main
from configurable_http_proxy.handlers import ProxyHandler
from tornado.websocket import websocket_connect

MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def forward_from_browser(self, message):
    """ProxyHandler.on_message, keeping the frame's kind (text or binary)."""
    if self.ws_client:
        prefix = self.target["prefix"] if self.target else ""
        if prefix:
            self.proxy.update_last_activity(prefix)
        self.ws_client.write_message(message, binary=isinstance(message, bytes))


ProxyHandler.on_message = forward_from_browser
ProxyHandler.max_message_size = MAX_MESSAGE_BYTES  # from the browser
handlers.websocket_connect = functools.partial(websocket_connect, max_message_size=MAX_MESSAGE_BYTES)  # to it

if __name__ == "__main__":
    sys.exit(main())
