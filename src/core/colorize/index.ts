// src/core/colorize: colour a photo from a few strokes (see docs/colorize.md).
export { colorizeImage, countPainted, ColorizeError, COLORIZE_DEFAULTS, type ColorizeInput, type ColorizeOptions, type ColorizeStats } from './colorize';
