// Accessibility check of the page as it is on screen: axe-core (the npm package) run inside the page, its serious
// and critical violations returned in one line each (an empty list passes). axe's source is evaluated through the
// devtools protocol (page.evaluate), which the app's CSP does not govern, so the page itself stays unchanged.
import axe from 'axe-core';
import type { Page } from 'playwright-core';

export async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const a = (globalThis as unknown as { axe: typeof import('axe-core') }).axe;
    const r = await a.run({ resultTypes: ['violations'] }); // the whole page
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`),
    }));
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
}
