import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '@internvl/service-kit';

export const HISTORY_ROLES = ['user', 'assistant', 'system'] as const;
export type HistoryRole = (typeof HISTORY_ROLES)[number];

/** One message of a --history file. */
export interface HistoryEntry {
  role: HistoryRole;
  content: string;
  /** Image files shown with this message; relative paths are relative to the history file. */
  images?: string[];
  /** --max-num the images were sent with, so later rounds tile them the same way. */
  max_num?: number;
}

export const HISTORY_FORMAT_HELP = `History file (--history FILE): a JSON array of the earlier messages, oldest first:
  [{"role": "system", "content": "You are a careful assistant."},
   {"role": "user", "content": "What is in the image?", "images": ["cat.jpg"], "max_num": 12},
   {"role": "assistant", "content": "A cat on a sofa."}]
  role is "user", "assistant" or "system"; "images" (optional) lists image files shown with that
  message, relative to the history file's folder unless absolute; "max_num" (optional) is the
  --max-num they are tiled with (default: this call's --max-num). The new question is sent after
  these messages; once the answer is complete the file is rewritten with the question (and its
  --image files) and the answer appended, so repeated calls continue one multi-round
  conversation. Earlier images are sent again each round; the vision cache makes that cheap.
  A file that does not exist is created. --system replaces the file's first system message (or
  is inserted before the first message) and is saved with it.`;

function invalid(file: string, where: string, what: string): ConfigError {
  return new ConfigError(`history ${file}: ${where}: ${what} (see --help for the format)`);
}

function validateEntry(file: string, value: unknown, index: number): HistoryEntry {
  const where = `message ${index + 1}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(file, where, 'is not an object');
  const { role, content, images, max_num: maxNum, ...extra } = value as Record<string, unknown>;
  const unknownKeys = Object.keys(extra);
  if (unknownKeys.length > 0) throw invalid(file, where, `unknown key(s) ${unknownKeys.join(', ')}`);
  if (!HISTORY_ROLES.includes(role as HistoryRole))
    throw invalid(
      file,
      where,
      `role must be one of ${HISTORY_ROLES.join(', ')}, got ${JSON.stringify(role)}`,
    );
  if (typeof content !== 'string') throw invalid(file, where, 'content must be a string');
  const entry: HistoryEntry = { role: role as HistoryRole, content };
  if (images !== undefined) {
    if (!Array.isArray(images) || !images.every((p) => typeof p === 'string' && p.length > 0))
      throw invalid(file, where, 'images must be an array of file paths');
    entry.images = images as string[];
  }
  if (maxNum !== undefined) {
    if (!Number.isInteger(maxNum) || (maxNum as number) < 0 || (maxNum as number) > 40)
      throw invalid(file, where, 'max_num must be an integer from 0 to 40');
    entry.max_num = maxNum as number;
  }
  return entry;
}

/** Reads and checks a history file; a missing file is an empty history. */
export function readHistory(file: string): HistoryEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(`cannot read history ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`history ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalid(file, 'top level', 'must be an array of messages');
  return parsed.map((value, index) => validateEntry(file, value, index));
}

/** Writes the history through a temporary file, so an interrupted write never truncates it. */
export function writeHistory(file: string, entries: readonly HistoryEntry[]): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(entries, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Where an image named in the history file lives, for reading. */
export function resolveHistoryImage(historyFile: string, image: string): string {
  return isAbsolute(image) ? image : resolve(dirname(resolve(historyFile)), image);
}

/** How an image given on the command line is recorded in the history file (relative to it). */
export function historyImagePath(historyFile: string, image: string): string {
  return relative(dirname(resolve(historyFile)), resolve(image)) || image;
}

/** Sets the system message: replaces the first one, or inserts it before everything else. */
export function withSystemMessage(entries: readonly HistoryEntry[], system: string): HistoryEntry[] {
  const index = entries.findIndex((e) => e.role === 'system');
  const entry: HistoryEntry = { role: 'system', content: system };
  if (index < 0) return [entry, ...entries];
  return entries.map((e, i) => (i === index ? { ...e, content: system } : e));
}
