// The "Leave Revive?" question main asks when the page refuses to unload (closing or reloading the window while
// there is unsaved work or a running job: the page's beforeunload handler, see src/renderer/lib/leave.ts). Electron
// shows no dialog for beforeunload by itself; on will-prevent-unload main shows this one, and calling
// event.preventDefault() there lets the unload go ahead. Pure data: no electron import, tested in plain Node.

/** The buttons, in order; Stay is the default and what Escape or closing the dialog means. */
export const LEAVE_BUTTONS = ['Leave', 'Stay'] as const;
export const LEAVE = 0;
export const STAY = 1;

export const LEAVE_MESSAGE = 'Leave Revive? Your unsaved work will be lost.';
/** The detail when the page has not said what it would lose. */
export const LEAVE_GENERIC = 'Refine work that was not saved, or a job still running, would be lost.';

/** The options of dialog.showMessageBoxSync for the question; `summary` is what the page reported (null = unknown). */
export function leaveDialogOptions(summary: string | null) {
  return {
    type: 'question' as const,
    title: 'Revive',
    buttons: [...LEAVE_BUTTONS],
    defaultId: STAY,
    cancelId: STAY,
    noLink: true,
    message: LEAVE_MESSAGE,
    detail: summary && summary.trim() ? summary : LEAVE_GENERIC,
  };
}

/** Whether the person's answer (showMessageBoxSync's button index) lets the page unload. */
export function choseLeave(response: number): boolean {
  return response === LEAVE;
}
