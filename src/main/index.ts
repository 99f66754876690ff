// Electron main process: the window, its security settings, the IPC handlers and the utility process that hosts the
// engine. Deliberately thin: the logic lives in pure modules tested without Electron (security, dispatch,
// engine-protocol, job-effects, paths); this file only wires them to Electron's objects.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  Menu,
  nativeTheme,
  Notification,
  powerSaveBlocker,
  protocol,
  session,
  shell,
  utilityProcess,
  type WebContents,
} from 'electron';
import { BatchAttention } from './attention';
import { createDispatcher } from './dispatch';
import { EngineClient } from './engine-protocol';
import { PathGrants } from './grants';
import { registerIpc, relayEvent } from './ipc';
import { JobEffects } from './job-effects';
import { choseLeave, leaveDialogOptions } from './leave';
import { menuTemplate } from './menu';
import { EV } from '../shared/ipc';
import { modelsDirFor, windowUrlFor } from './paths';
import { APP_ENTRY, APP_SCHEME, CSP, isAppUrl, mimeType, resolveAppFile, secureWebPreferences } from './security';

const rendererRoot = path.join(__dirname, '../renderer');
const preloadFile = path.join(__dirname, '../preload/index.js');
const engineHostFile = path.join(__dirname, 'engine-host.js');

// the renderer is served from app://revive/, a standard secure origin, so 'self' in the CSP means exactly the app
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
app.enableSandbox();

let win: BrowserWindow | null = null;
/** What leaving the page would lose, in words, as the page last reported it (setUnsavedWork); null = nothing. */
let unsavedWork: string | null = null;
const appUrl = () => windowUrlFor(app.isPackaged, process.env, APP_ENTRY);

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url, appUrl())) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isAppUrl(url, appUrl())) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function startEngine(): EngineClient {
  const userData = app.getPath('userData');
  const modelsDir = modelsDirFor({
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    appPath: app.getAppPath(),
    env: process.env,
  });
  return new EngineClient(() =>
    utilityProcess.fork(
      engineHostFile,
      [`--models-dir=${modelsDir}`, `--user-data-dir=${userData}`, `--version=${app.getVersion()}`],
      { serviceName: 'Revive engine', stdio: 'inherit' },
    ),
  );
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1320,
    height: 860,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'Revive',
    // the page's background before it paints: its dark or light theme, as the system's (styles.css --bg)
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#141517' : '#f3f4f6',
    autoHideMenuBar: true,
    ...(process.platform === 'linux' ? { icon: path.join(rendererRoot, 'icon.png') } : {}),
    webPreferences: secureWebPreferences(preloadFile, !app.isPackaged),
  });
  w.once('ready-to-show', () => w.show());
  // the page prevents unload (close, reload) while it has unsaved work: ask, and let it go only on Leave
  w.webContents.on('will-prevent-unload', (e) => {
    if (!choseLeave(dialog.showMessageBoxSync(w, leaveDialogOptions(unsavedWork)))) return;
    unsavedWork = null;
    e.preventDefault();
  });
  w.on('closed', () => {
    if (win === w) win = null;
  });
  void w.loadURL(appUrl());
  return w;
}

async function serveApp(request: Request): Promise<Response> {
  const file = resolveAppFile(request.url, rendererRoot);
  if (!file) return new Response('Not found', { status: 404 });
  try {
    const body = await fsp.readFile(file);
    return new Response(new Uint8Array(body), {
      headers: { 'content-type': mimeType(file), 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
    });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  void app.whenReady().then(() => {
    protocol.handle(APP_SCHEME, serveApp);
    // no camera, microphone, notifications, geolocation...: the app asks for nothing
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
    session.defaultSession.setPermissionCheckHandler(() => false);

    const engine = startEngine();
    const effects = new JobEffects({
      setProgress: (fraction) => win?.setProgressBar(fraction),
      blockSleep: () => powerSaveBlocker.start('prevent-app-suspension'),
      unblockSleep: (id) => powerSaveBlocker.stop(id),
    });
    // the paths the page may name: what the person chose or dropped, and what the app made (grants.ts)
    const grants = new PathGrants(process.platform);
    // a batch that finishes while Revive is behind other windows: an OS notification and the taskbar asks for attention
    const attention = new BatchAttention({
      isFocused: () => !!win?.isFocused(),
      notify: (title, body, onClick) => {
        if (!Notification.isSupported()) return;
        const n = new Notification({ title, body, silent: false });
        n.on('click', onClick);
        n.show();
      },
      flash: (on) => win?.flashFrame(on),
      focus: () => {
        if (win?.isMinimized()) win.restore();
        win?.focus();
      },
    });
    engine.on((m) => {
      if (m.channel === 'job') grants.noteJobEvent(m.event);
      relayEvent(win?.webContents, m);
      effects.handle(m);
      attention.handle(m);
    });
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate((c) => {
          if (win && !win.webContents.isDestroyed()) win.webContents.send(EV.command, c);
        }),
      ),
    );

    const dispatch = createDispatcher({
      engine,
      grants,
      platform: process.platform,
      chooseFolder: async () => {
        const opts: Electron.OpenDialogOptions = { properties: ['openDirectory', 'createDirectory'] };
        const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
        return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
      },
      showInFolder: async (p) => shell.showItemInFolder(p),
      setUnsavedWork: (summary) => {
        unsavedWork = summary;
      },
    });
    registerIpc(dispatch, appUrl, grants);

    win = createWindow();
    win.on('focus', () => attention.focused());
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) {
        win = createWindow();
        win.on('focus', () => attention.focused());
      }
    });
    app.on('before-quit', () => effects.dispose());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
