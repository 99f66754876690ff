// src/main/grants.ts on its own: which paths a grant covers (the folder and below, never beside or above it, no way
// out by ".."), Windows' case-insensitive names and drive roots, what a drop may grant, and what a reply grants.
import { describe, expect, it } from 'vitest';
import { PathGrants } from '../../src/main/grants';

describe('PathGrants', () => {
  it('a granted folder covers itself and what is below it, nothing beside or above', () => {
    const g = new PathGrants('linux', () => true);
    g.grantRead('/home/ann/Scans');
    expect(g.canRead('/home/ann/Scans')).toBe(true);
    expect(g.canRead('/home/ann/Scans/1952/a.tif')).toBe(true);
    expect(g.canRead('/home/ann/Scans/../.ssh/id_rsa')).toBe(false);
    expect(g.canRead('/home/ann/Scans2/a.tif')).toBe(false);
    expect(g.canRead('/home/ann')).toBe(false);
    expect(g.canWriteIn('/home/ann/Scans')).toBe(false); // dropped: read only
    g.grantFolder('/home/ann/Restored/');
    expect(g.canWriteIn('/home/ann/Restored/1952')).toBe(true);
    expect(g.isCreated('/home/ann/Restored/a.png')).toBe(false); // a folder grant is not authorship
    g.grantCreated('/home/ann/Restored/a.png');
    expect(g.isCreated('/home/ann/Restored/a.png')).toBe(true);
    expect(g.isCreated('/home/ann/Restored/a.png/x')).toBe(false);
  });

  it('Windows: names compared without case, drive roots, and no network or device path can be granted', () => {
    const g = new PathGrants('win32', () => true);
    expect(g.grantDropped('C:\\Users\\Ann\\Scans')).toBe(true);
    expect(g.canRead('c:/users/ann/scans/A.JPG')).toBe(true);
    expect(g.canRead('C:\\Users\\Ann\\Other\\a.jpg')).toBe(false);
    for (const p of ['\\\\nas\\photos', '\\\\?\\C:\\x', 'C:\\x\\NUL', 'relative\\x']) expect(g.grantDropped(p)).toBe(false);
    g.grantFolder('D:\\');
    expect(g.canWriteIn('D:\\Restored')).toBe(true);
    expect(g.canWriteIn('E:\\Restored')).toBe(false);
  });

  it('a drop is granted only for a path that exists', () => {
    const exists = new Set(['/media/usb/a.jpg']);
    const g = new PathGrants('linux', (p) => exists.has(p));
    expect(g.grantDropped('/media/usb/b.jpg')).toBe(false);
    expect(g.grantDropped('/media/usb/a.jpg')).toBe(true);
    expect(g.canRead('/media/usb/a.jpg')).toBe(true);
    expect(g.canRead('/media/usb/b.jpg')).toBe(false);
    expect(g.grantDropped(42)).toBe(false);
    expect(g.grantDropped(`/${'a'.repeat(5000)}`)).toBe(false); // over LIMITS.pathBytes
  });

  it('replies grant: the chosen folder, the settings output folder (well-formed only), a saved round', () => {
    const g = new PathGrants('linux', () => false);
    g.noteReply('chooseFolder', [], null);
    g.noteReply('chooseFolder', [], '/chosen');
    g.noteReply('getSettings', [], { outDir: '/from/settings' });
    g.noteReply('getSettings', [], { outDir: 'relative/nonsense' });
    g.noteReply('saveRound', ['r', '/chosen/x.png'], '/chosen/x.png');
    g.noteReply('loadPreview', ['/etc/passwd', 64], { bytes: new Uint8Array() }); // nothing
    expect(g.canWriteIn('/chosen')).toBe(true);
    expect(g.canWriteIn('/from/settings/sub')).toBe(true);
    expect(g.canRead('relative/nonsense')).toBe(false);
    expect(g.isCreated('/chosen/x.png')).toBe(true);
    expect(g.canRead('/etc/passwd')).toBe(false);
  });

  it('scratches: the mask of a photo the page may read; a refill only of an output the app made, from a given photo', () => {
    const g = new PathGrants('linux', () => true);
    const mask = new Uint8Array([1]);
    g.grantRead('/scans');
    g.grantFolder('/restored');
    expect(() => g.check('loadScratchMask', ['/elsewhere/a.png'])).toThrow(/Refused loadScratchMask/);
    expect(() => g.check('refillScratches', [{ input: '/scans/a.png', output: '/restored/a.png', mask }])).toThrow(
      /did not make "\/restored\/a.png"/,
    ); // in the output folder, but not made by the app
    g.noteJobEvent({ type: 'file-done', jobId: 'j', index: 0, result: { input: '/scans/a.png', output: '/restored/a.png', status: 'ok', ms: 1 } });
    expect(() => g.check('loadScratchMask', ['/restored/a.png'])).not.toThrow();
    expect(() => g.check('refillScratches', [{ input: '/scans/a.png', output: '/restored/a.png', mask }])).not.toThrow();
    expect(() => g.check('refillScratches', [{ input: '/etc/a.png', output: '/restored/a.png', mask }])).toThrow(
      /Refused refillScratches: Revive was not given/,
    );
  });
});
