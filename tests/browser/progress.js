// How far the run of window.lesson has got. Returns {ran: window.ran, code: code
// cells, done: those with a prompt number, errors: error outputs, status: the
// kernel's status, prompts: prompts still showing '*'}.
() => {
    const widget = window.lesson;
    const cells = widget.content.model.cells;
    let code = 0, done = 0, errors = 0;
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        code += 1;
        if (cell.executionCount !== null) done += 1;
        for (const output of cell.outputs.toJSON())
            if (output.output_type === 'error') errors += 1;
    }
    return {ran: window.ran, code, done, errors, status: widget.sessionContext.session.kernel.status,
            prompts: Array.from(widget.node.querySelectorAll('.jp-InputArea-prompt'))
                          .filter(p => p.textContent.includes('*')).length};
}
