// Shuts window.lesson's kernel down, once the lesson is checked. Returns (a
// promise of) nothing.
async () => { await window.lesson.sessionContext.shutdown(); }
