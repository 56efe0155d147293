import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FailedPreconditionError } from '@internvl/errors';
import { MANIFEST_FILE, parseManifest, type ModelManifest } from '@internvl/model-config';

/** A model directory made by `internvl convert`: where it is and what its manifest says. */
export interface ModelDirectory {
  /** Absolute path. */
  dir: string;
  manifest: ModelManifest;
  /** Absolute path of a file the manifest names (checked to exist). */
  file(key: keyof ModelManifest['files']): string;
}

/**
 * Reads and checks a model directory's manifest; `option` names how the user passed it
 * (e.g. "--model DIR (or INTERNVL_VISION_MODEL)") so every failure says what to fix.
 * @throws FailedPreconditionError (a deployment problem, not a request problem).
 */
export function readModelDirectory(dir: string, option: string): ModelDirectory {
  if (!dir) {
    throw new FailedPreconditionError(`no model: pass ${option}, a directory made by \`internvl convert\``);
  }
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    throw new FailedPreconditionError(`model directory ${abs} does not exist (${option})`);
  const manifestFile = join(abs, MANIFEST_FILE);
  if (!existsSync(manifestFile)) {
    throw new FailedPreconditionError(
      `${abs} has no ${MANIFEST_FILE}: ${option} must be a directory made by \`internvl convert\``,
    );
  }
  let manifest: ModelManifest;
  try {
    manifest = parseManifest(JSON.parse(readFileSync(manifestFile, 'utf8')), manifestFile);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FailedPreconditionError(`cannot use ${manifestFile}: ${reason}`, { cause: err });
  }
  return {
    dir: abs,
    manifest,
    file(key) {
      const path = join(abs, manifest.files[key]);
      if (!existsSync(path)) throw new FailedPreconditionError(`${path} is missing (manifest files.${key})`);
      return path;
    },
  };
}
