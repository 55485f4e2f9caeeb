// Opens the lesson [path] in the Lab, waits for its kernel, and keeps the widget
// as window.lesson; with [clear] true, clears every output and prompt number, so
// that a run starts from nothing. Returns the kernel the Lab selected:
// {kernel: its name, display: its display name}.
async ([path, clear]) => {
    const app = window.jupyterapp;
    await app.restored;
    const widget = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await widget.context.ready;
    await widget.sessionContext.ready;
    window.lesson = widget;
    window.ran = 'stored';
    if (clear) {
        await app.commands.execute('notebook:clear-all-cell-outputs');
        const cells = widget.content.model.cells;        // stored prompt numbers too
        for (let i = 0; i < cells.length; i++)
            if (cells.get(i).type === 'code') cells.get(i).executionCount = null;
    }
    return {kernel: widget.sessionContext.session.kernel.name,
            display: widget.sessionContext.kernelDisplayName};
}
