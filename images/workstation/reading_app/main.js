// gc-hub reading app: a classic-notebook extension that turns the workstation's reading notebook
// (metadata gc_hub.app == "reading") into an app: its code is hidden, autosave is off (the app
// saves answers itself, so the notebook is never "unsaved" and leaving it asks nothing), and its
// cells run once the kernel's widget manager is ready.
define(['base/js/namespace', 'base/js/events'], function (Jupyter, events) {
    'use strict';

    function isReadingApp() {
        return ((Jupyter.notebook.metadata || {}).gc_hub || {}).app === 'reading';
    }

    // Resolves once widgetsnbextension has made the kernel's widget manager and that manager has
    // asked the kernel for its widgets: a comm_info sent after its own is answered after it.
    function widgetsReady(kernel) {
        return new Promise(function (resolve) {
            (function poll() {
                if (kernel.widget_manager && kernel.is_connected()) {
                    kernel.comm_info('jupyter.widget', function () { setTimeout(resolve, 300); });
                } else {
                    setTimeout(poll, 100);
                }
            })();
        });
    }

    function run() {
        var notebook = Jupyter.notebook;
        widgetsReady(notebook.kernel).then(function () {
            notebook.clear_all_output();
            notebook.execute_all_cells();
            notebook.set_dirty(false);
            document.body.setAttribute('data-gc-reading-app', 'started');
        });
    }

    // The app saves answers itself: the notebook (whose outputs change as the reader works) is
    // never marked as having unsaved changes, and leaving the page asks nothing. Notebook 6 seals
    // its notebook object, so this listens to its set_dirty event instead of replacing set_dirty,
    // and replaces the page's beforeunload handler (which also asks while the kernel is busy).
    function neverDirty(notebook) {
        events.on('set_dirty.Notebook', function (event, data) {
            if (data.value) notebook.set_dirty(false);
        });
        window.onbeforeunload = null;
    }

    function start() {
        if (!isReadingApp()) return;
        document.body.classList.add('gc-reading-app-page');
        Jupyter.notebook.set_autosave_interval(0);
        neverDirty(Jupyter.notebook);
        var kernel = Jupyter.notebook.kernel;
        if (kernel && kernel.info_reply && kernel.info_reply.status === 'ok' && kernel.is_connected()) {
            run();
        } else {
            events.one('kernel_ready.Kernel', run);
        }
    }

    function load_ipython_extension() {
        var style = document.createElement('style');
        style.textContent = [
            '.gc-reading-app-page div.input, .gc-reading-app-page .prompt,',
            '.gc-reading-app-page .out_prompt_overlay, .gc-reading-app-page #menubar-container,',
            '.gc-reading-app-page #maintoolbar, .gc-reading-app-page #notification_area,',
            // the notebook's own saving, which the app does not use (it saves answers as it goes)
            '.gc-reading-app-page .autosave_status, .gc-reading-app-page .checkpoint_status { display: none !important; }',
            '.gc-reading-app-page #notebook-container { width: 98%; padding: 8px; }',
            '.gc-reading-app-page .output_area .widget-tab { width: 100%; }',
            // never fold the app into a scrolled box, as the notebook does with long outputs
            '.gc-reading-app-page .output_scroll { height: auto !important; overflow: visible; box-shadow: none; }',
        ].join('\n');
        document.head.appendChild(style);
        if (Jupyter.notebook && Jupyter.notebook._fully_loaded) {
            start();
        } else {
            events.one('notebook_loaded.Notebook', start);
        }
    }

    return {load_ipython_extension: load_ipython_extension};
});
