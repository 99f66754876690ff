// Restores one photo on the session's device and keeps going when the GPU runs out of memory: the photo is redone
// with tiles half as large (down to the smallest tile the model's overlap allows), then on the CPU; the photo never
// fails for lack of GPU memory. The tile size that fitted is remembered for the next photos, and every step down is
// reported in words (a new ProviderReport through onReport).
import type { ProviderReport, RestoreModel } from '../../shared/types';
import { type CachedSession, isOutOfMemory, type SessionCache } from '../inference/session';
import { isCancel, planFor, restoreImage, type PixelImage, type RestoreOptions, type RestoreResult } from './restore';

export interface DeviceContext {
  sessions: SessionCache;
  modelsDir: string;
  /** The session to start with (from sessions.get). */
  session: CachedSession;
  /** Called with the new report whenever the tile size or the provider had to change. */
  onReport?: (report: ProviderReport) => void;
}

/** The tile to retry with after an out-of-memory on `tile` px tiles, or null when it cannot get smaller. */
export function smallerTile(tile: number, model: RestoreModel): number | null {
  const m = Math.max(1, model.size_multiple);
  const least = 2 * Math.ceil(model.receptive_overlap / m) * m; // tiling.ts: a window is at least two overlaps long
  const next = Math.max(least, Math.floor(tile / 2 / m) * m, m);
  return next < tile ? next : null;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n').find((l) => l.trim()) ?? msg).trim().slice(0, 200);
}

/** The largest network input a plan for this photo feeds the model, in pixels along its longer side. */
function tileUsed(img: PixelImage, model: RestoreModel, tile: number | undefined): number {
  const plan = planFor(img.width, img.height, model, tile);
  const widest = (a: typeof plan.cols) => Math.max(...a.spans.map((s) => s.padded));
  return Math.max(widest(plan.cols), widest(plan.rows));
}

export async function restoreOnDevice<I extends PixelImage>(
  img: I,
  model: RestoreModel,
  ctx: DeviceContext,
  opts: RestoreOptions = {},
): Promise<RestoreResult<I> & { session: CachedSession }> {
  let s = ctx.session;
  const limit = ctx.sessions.tileLimit(s);
  let tile = limit !== undefined ? Math.min(limit, tileUsed(img, model, opts.tile)) : opts.tile;
  for (;;) {
    try {
      const r = await restoreImage(img, model, s.session, { ...opts, tile });
      return { ...r, session: s };
    } catch (e) {
      if (isCancel(e) || s.provider === 'cpu' || !isOutOfMemory(e)) throw e;
      const used = tileUsed(img, model, tile);
      const next = smallerTile(used, model);
      const gpu = s.provider.toUpperCase();
      if (next !== null) {
        ctx.sessions.limitTile(s, next);
        tile = next;
        s = {
          ...s,
          report: {
            ...s.report,
            fallbacks: [
              ...s.report.fallbacks,
              { provider: s.provider, reason: `${gpu} ran out of GPU memory on ${used} px tiles; using ${next} px tiles (${firstLine(e)})` },
            ],
          },
        };
        ctx.onReport?.(s.report);
        continue;
      }
      const cpu = await ctx.sessions.get(ctx.modelsDir, model, 'cpu');
      const report: ProviderReport = {
        requested: s.report.requested,
        used: 'cpu',
        fallbacks: [
          ...s.report.fallbacks,
          { provider: s.provider, reason: `${gpu} ran out of GPU memory even on ${used} px tiles, so the CPU took over (${firstLine(e)})` },
        ],
      };
      s = { ...cpu, report };
      tile = opts.tile;
      ctx.onReport?.(report);
    }
  }
}
