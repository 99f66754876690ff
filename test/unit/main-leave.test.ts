// The "Leave Revive?" question main asks on will-prevent-unload (src/main/leave.ts): Stay is the default and what
// Escape means; the detail is what the page said it would lose, or a generic sentence.
import { describe, expect, it } from 'vitest';
import { choseLeave, LEAVE, LEAVE_GENERIC, leaveDialogOptions, STAY } from '../../src/main/leave';

describe('leave dialog', () => {
  it('asks a question with Leave and Stay, Stay being the default and the cancel', () => {
    const o = leaveDialogOptions('Refine work would be lost: a.png (1 refine round not saved).');
    expect(o).toMatchObject({ type: 'question', buttons: ['Leave', 'Stay'], defaultId: 1, cancelId: 1 });
    expect(o.message).toMatch(/^Leave Revive\? /);
    expect(o.detail).toBe('Refine work would be lost: a.png (1 refine round not saved).');
  });

  it('says something general when the page said nothing', () => {
    expect(leaveDialogOptions(null).detail).toBe(LEAVE_GENERIC);
    expect(leaveDialogOptions('  ').detail).toBe(LEAVE_GENERIC);
  });

  it('lets the page go only on Leave', () => {
    expect(choseLeave(LEAVE)).toBe(true);
    expect(choseLeave(STAY)).toBe(false);
    expect(choseLeave(-1)).toBe(false);
  });
});
