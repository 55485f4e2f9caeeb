// Collapses the Lab's left sidebar (the file browser), so that a screenshot shows
// the lesson across the window. Returns nothing.
() => window.jupyterapp.shell.collapseLeft()
