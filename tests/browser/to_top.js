// Collapses the left sidebar and scrolls window.lesson to its start, for the
// screenshot of the lesson as a student first sees it. Returns nothing.
() => {
    window.jupyterapp.shell.collapseLeft();
    for (const panel of window.lesson.node.querySelectorAll('.jp-WindowedPanel-outer')) panel.scrollTop = 0;
}
