// The subcommands of `revive`, loaded on demand. To add one, add one line: { name, summary, load }.
import type { CommandEntry } from './io';

export const COMMANDS: CommandEntry[] = [
  { name: 'restore', summary: 'restore photos (files and folders) into an output folder', load: () => import('./restore') },
  { name: 'refine', summary: 'repaint a photo where strokes are painted (SDEdit with the diffusion model)', load: () => import('./refine') },
  { name: 'colorize', summary: 'colour a black-and-white photo (or recolour one) from a few painted strokes', load: () => import('./colorize') },
  { name: 'models', summary: 'list the installed models, their checksums and the execution providers', load: () => import('./models') },
];
