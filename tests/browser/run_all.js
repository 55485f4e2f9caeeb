// Starts running every cell of window.lesson, and does not wait for it: the page
// is polled (progress.js) while the kernel works. Returns nothing; window.ran is
// null until the run ends, then 'ok', 'stopped' or the error.
() => {
    window.ran = null;
    window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        ok => { window.ran = ok ? 'ok' : 'stopped'; }, error => { window.ran = String(error); });
}
