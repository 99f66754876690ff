// How the engine compares paths: folded to lower case on the case-insensitive file systems of Windows and macOS, and
// resolved through symlinks (for a file that does not exist yet, through its folder's).
import { realpathSync } from 'node:fs';
import path from 'node:path';

const caseInsensitiveFs = process.platform === 'win32' || process.platform === 'darwin';

/** The form of a path two names of one file share on this platform's file system (case folded where it ignores case). */
export function pathKey(p: string): string {
  return caseInsensitiveFs ? p.toLowerCase() : p;
}

/** The real path: symlinks resolved; a path that does not exist resolved through its folder; else as given, absolute. */
export function realPath(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    try {
      return path.join(realpathSync.native(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}
