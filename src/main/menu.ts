// The application menu: every command of the app with its keyboard shortcut shown, so people find both. The keys
// themselves are handled by the page (src/renderer/lib/shortcuts.ts: they work whatever has focus and in text fields
// stay the field's own), so no accelerator is registered here (registerAccelerator: false); choosing an item sends
// its AppCommand to the page on EV.command. Pure data: electron's types only, tested in plain Node.
import type { MenuItemConstructorOptions } from 'electron';
import type { AppCommand } from '../shared/api';

export function menuTemplate(send: (c: AppCommand) => void, platform: NodeJS.Platform = process.platform): MenuItemConstructorOptions[] {
  const item = (label: string, command: AppCommand, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
    click: () => send(command),
  });
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        item('Add Photos…', 'add-photos', 'CmdOrCtrl+O'),
        item('Add Folder…', 'add-folder', 'CmdOrCtrl+Shift+O'),
        { type: 'separator' },
        item('Restore', 'restore', 'CmdOrCtrl+Enter'),
        item('Remove from List', 'remove', 'Delete'),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        item('Undo Stroke', 'undo', 'CmdOrCtrl+Z'),
        item('Redo Stroke', 'redo', 'CmdOrCtrl+Shift+Z'),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: '&View',
      submenu: [
        item('Restore', 'mode-restore', 'CmdOrCtrl+1'),
        item('Refine', 'mode-refine', 'CmdOrCtrl+2'),
        { type: 'separator' },
        item('Side by Side', 'side-by-side', 'S'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Help',
      submenu: [item('Keyboard Shortcuts', 'shortcuts', '?')],
    },
  ];
}
