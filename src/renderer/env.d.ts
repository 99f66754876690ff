/// <reference types="svelte" />
// The page talks to the app only through window.revive (the preload's ReviveApi; the e2e harness's in tests).
import type { ReviveApi } from '../shared/api';

declare global {
  interface Window {
    revive: ReviveApi;
  }
}

export {};
