# gc-hub: put back the SSL_CERT_FILE that gc-singleuser set aside while the server started, so
# that kernels and terminals get the image's own (exec'd from the server's config files).
import os as _os

_saved = _os.environ.pop("GC_SSL_CERT_FILE", None)
if _saved:
    _os.environ["SSL_CERT_FILE"] = _saved
elif _saved is not None:
    _os.environ.pop("SSL_CERT_FILE", None)
