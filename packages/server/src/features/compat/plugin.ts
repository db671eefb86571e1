import type { Feature } from '../../core/core.js';
import { tutorialA } from './tutorial-a.js';
import { tutorialB } from './tutorial-b.js';
import { tutorialC } from './tutorial-c.js';

/**
 * The routes of the three tutorials' clients, which run against Gatehouse unchanged: thin aliases onto
 * the core and the other features, each mapping its own wire shapes.
 */
export const compatFeature: Feature = async (app, core) => {
  await app.register(tutorialA, core);
  await app.register(tutorialB, core);
  await app.register(tutorialC, core);
};
