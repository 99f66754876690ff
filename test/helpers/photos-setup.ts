// Global setup of the vitest configs: the real test photos of test/helpers/photos.ts, made from samples/.
import { makeTestPhotos } from './photos';

export default async function setup(): Promise<void> {
  await makeTestPhotos();
}
