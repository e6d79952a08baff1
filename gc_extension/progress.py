"""Progress bars and live status that update in place: in a notebook through IPython's display
handles (no widget library needed, so it works in JupyterLab, classic Notebook and in notebooks
run by nbclient alike); elsewhere as one line on stderr that is rewritten."""

import html
import sys
import time

MIN_INTERVAL_S = 0.2  # redraw at most this often, except for the last update


def in_notebook():
    """Whether an IPython kernel with a display front end is running this code."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def human_size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000


def bar_text(description, done, total, unit="B", width=30):
    """``description [#####     ] 50% 1.2 MB of 2.4 MB`` (sizes when ``unit`` is B, else counts)."""
    fraction = min(1.0, done / total) if total else 1.0
    filled = int(round(fraction * width))
    amount = f"{human_size(done)} of {human_size(total)}" if unit == "B" else f"{done} of {total} {unit}"
    return f"{description} [{'#' * filled}{' ' * (width - filled)}] {fraction:4.0%} {amount}"


def bar_html(description, done, total, unit="B"):
    fraction = min(1.0, done / total) if total else 1.0
    text = html.escape(bar_text(description, done, total, unit).split("]", 1)[1].strip())
    return (
        f"<div><span>{html.escape(description)}</span> "
        f"<progress value='{fraction:.4f}' max='1' style='width:40%'></progress> <span>{text}</span></div>"
    )


class Display:
    """One output that is replaced in place by each ``show``."""

    def __init__(self, clock=time.monotonic, notebook=None):
        self.notebook = in_notebook() if notebook is None else notebook
        self.handle = None
        self.clock = clock
        self.shown_at = None
        self.last_text = None

    def show(self, text, html_text=None, final=False):
        now = self.clock()
        if not final and self.shown_at is not None and now - self.shown_at < MIN_INTERVAL_S:
            return
        if text == self.last_text and not final:
            return
        self.shown_at, self.last_text = now, text
        if self.notebook:
            from IPython.display import display

            bundle = {"text/plain": text, "text/html": html_text or f"<pre>{html.escape(text)}</pre>"}
            if self.handle is None:
                self.handle = display(bundle, raw=True, display_id=True)
            else:
                self.handle.update(bundle, raw=True)
        else:
            end = "\n" if final or "\n" in text else ""
            sys.stderr.write("\r" + text + end)
            sys.stderr.flush()


class Progress:
    """A progress bar: ``update(n)`` adds ``n`` done; ``close()`` draws the end."""

    def __init__(self, description, total, unit="B", display=None):
        self.description, self.total, self.unit = description, total, unit
        self.done = 0
        self.display = display or Display()
        self.draw()

    def update(self, n):
        self.done += n
        self.draw()

    def draw(self, final=False):
        self.display.show(
            bar_text(self.description, self.done, self.total, self.unit),
            bar_html(self.description, self.done, self.total, self.unit),
            final=final,
        )

    def close(self):
        self.draw(final=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class NoProgress:
    """Stands in for Progress where nothing should be shown (plain Client calls)."""

    def __init__(self, *args, **kwargs):
        pass

    def update(self, n):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass
