"""The reading app's progress bar, as HTML (ipywidgets' own bar shows no count)."""


def progress_bar(done, total):
    """A bar filled to ``done`` of ``total`` cases, with the count written on it."""
    filled = 100 * done // max(1, total)
    return (
        "<div style='position:relative;width:200px;height:22px;border:1px solid #9e9e9e;border-radius:3px;"
        f"background:linear-gradient(to right,#a5d6a7 {filled}%,#fff {filled}%);text-align:center;"
        f"line-height:22px;font-size:12px'>{done} / {total} answered</div>"
    )
