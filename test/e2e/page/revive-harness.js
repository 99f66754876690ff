// Runs in the test browser's page before the app (page.addInitScript): defines window.revive, the ReviveApi of
// src/shared/api.ts (one forwarder per method of the IPC table, src/shared/ipc.ts), by forwarding every call through
// the `__reviveCall` binding to the test process, where main's own dispatcher (validation included) calls a real
// EngineService. Engine events come back through window.__reviveEmit. Uint8Array travels as { __u8: base64 } because bindings carry JSON.
//
// The one stand-in: getPathForFile. In Electron the preload asks webUtils.getPathForFile; a test cannot make an OS
// drag, so it dispatches a synthetic drop of File objects built in the page and registers, with
// window.__reviveTest.setPaths, the real path behind each file name. Everything else is the app's real code path.
(() => {
  'use strict';

  const listeners = { job: new Set(), refine: new Set(), command: new Set() };
  const paths = new Map();

  function toBase64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function fromBase64(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  function encode(v) {
    if (v instanceof Uint8Array) return { __u8: toBase64(v) };
    if (Array.isArray(v)) return v.map(encode);
    if (v && typeof v === 'object') {
      const o = {};
      for (const k of Object.keys(v)) o[k] = encode(v[k]);
      return o;
    }
    return v;
  }

  function decode(v) {
    if (Array.isArray(v)) return v.map(decode);
    if (v && typeof v === 'object') {
      if (typeof v.__u8 === 'string' && Object.keys(v).length === 1) return fromBase64(v.__u8);
      const o = {};
      for (const k of Object.keys(v)) o[k] = decode(v[k]);
      return o;
    }
    return v;
  }

  async function call(method, args) {
    const reply = await window.__reviveCall(method, encode(args));
    if (reply && typeof reply.error === 'string') throw new Error(reply.error);
    return decode(reply.value);
  }

  function subscribe(set, cb) {
    if (typeof cb !== 'function') throw new TypeError('a callback is required');
    set.add(cb);
    return () => set.delete(cb);
  }

  window.__reviveEmit = (channel, event) => {
    const set = listeners[channel];
    if (!set) return;
    const e = decode(event);
    for (const cb of [...set]) {
      try {
        cb(e);
      } catch (err) {
        console.error(err);
      }
    }
  };

  window.__reviveTest = {
    /** name -> real path of the files a test is about to drop. */
    setPaths(map) {
      for (const [name, p] of Object.entries(map)) paths.set(name, p);
    },
    /** Drops files (File objects made here, named after real files or folders) on the element matching `selector`,
     *  the way a drag from the file manager arrives: dragenter, dragover, drop, with a DataTransfer of Files. */
    drop(selector, files) {
      const target = document.querySelector(selector);
      if (!target) throw new Error(`nothing matches ${selector}`);
      const dt = new DataTransfer();
      for (const f of files) {
        paths.set(f.name, f.path);
        dt.items.add(new File([new Uint8Array(f.size ?? 0)], f.name, { type: f.type ?? '' }));
      }
      const fire = (type) =>
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      fire('dragenter');
      fire('dragover');
      fire('drop');
      return dt.files.length;
    },
  };

  // one forwarder per request method of the IPC table (src/shared/ipc.ts; test/e2e/harness.ts passes the list)
  const methods = window.__reviveMethods;
  if (!Array.isArray(methods) || methods.length === 0) throw new Error('revive-harness: no method list');
  const api = {
    getPathForFile: (file) => paths.get(file.name) ?? '',
    onJobEvent: (cb) => subscribe(listeners.job, cb),
    onRefineEvent: (cb) => subscribe(listeners.refine, cb),
    onCommand: (cb) => subscribe(listeners.command, cb),
  };
  for (const m of methods) api[m] = (...args) => call(m, args);
  window.revive = Object.freeze(api);
})();
