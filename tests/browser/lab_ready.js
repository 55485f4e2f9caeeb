// Whether the page has loaded JupyterLab's application object (window.jupyterapp,
// exposed by --LabApp.expose_app_in_browser). Returns true once it has: polled by
// page.wait_for_function().
() => window.jupyterapp !== undefined
