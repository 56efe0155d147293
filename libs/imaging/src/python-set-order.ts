/**
 * Reproduces the iteration order of a CPython (3.8+, 64-bit) `set` of `(int, int)` tuples.
 *
 * InternVL's reference builds its candidate grids as a `set` and then stable-sorts them by
 * `i * j`, so grids with equal products keep the set's iteration order, and that order decides
 * exact ties in `find_closest_aspect_ratio`. To be bit-exact we replay CPython's tuple hash
 * (xxHash-based, `Objects/tupleobject.c`) and its open-addressing table (`Objects/setobject.c`).
 */

const MASK64 = (1n << 64n) - 1n;
const XXPRIME_1 = 11400714785074694791n;
const XXPRIME_2 = 14029467366897019727n;
const XXPRIME_5 = 2870177450012600261n;
const LINEAR_PROBES = 9n;
const PERTURB_SHIFT = 5n;
const SET_MINSIZE = 8;

/** CPython's `hash((a, b))` for small non-negative ints, as the unsigned 64-bit value the set uses. */
export function pythonTupleHash(items: readonly number[]): bigint {
  let acc = XXPRIME_5;
  for (const item of items) {
    // hash(int) == int for the small non-negative ints used here.
    acc = (acc + BigInt(item) * XXPRIME_2) & MASK64;
    acc = ((acc << 31n) | (acc >> 33n)) & MASK64;
    acc = (acc * XXPRIME_1) & MASK64;
  }
  acc = (acc + (BigInt(items.length) ^ (XXPRIME_5 ^ 3527539n))) & MASK64;
  // (Py_uhash_t)-1 is reserved for errors and remapped by CPython.
  return acc === MASK64 ? 1546275796n : acc;
}

interface Slot {
  key: string;
  hash: bigint;
  value: readonly [number, number];
}

/** Inserts into a table that holds no equal key (CPython's `set_insert_clean`). */
function insertClean(table: (Slot | undefined)[], slot: Slot): void {
  const mask = BigInt(table.length - 1);
  let perturb = slot.hash;
  let i = slot.hash & mask;
  for (;;) {
    if (table[Number(i)] === undefined) {
      table[Number(i)] = slot;
      return;
    }
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 1n; j <= LINEAR_PROBES; j++) {
        if (table[Number(i + j)] === undefined) {
          table[Number(i + j)] = slot;
          return;
        }
      }
    }
    perturb >>= PERTURB_SHIFT;
    i = (i * 5n + 1n + perturb) & mask;
  }
}

/**
 * Returns the pairs in the order `iter(set(pairs))` yields them in CPython, given the order in
 * which they were added (duplicates are ignored, as re-adding an existing key changes nothing).
 */
export function pythonSetOrder(pairs: Iterable<readonly [number, number]>): [number, number][] {
  let table: (Slot | undefined)[] = new Array<Slot | undefined>(SET_MINSIZE).fill(undefined);
  let used = 0;
  const seen = new Set<string>();
  for (const [a, b] of pairs) {
    const key = `${a},${b}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mask = table.length - 1;
    // No deletions ever happen, so probing for the key ends at the first empty slot, exactly
    // where set_add_entry would place it: the same walk as set_insert_clean.
    insertClean(table, { key, hash: pythonTupleHash([a, b]), value: [a, b] });
    used++;
    // fill == used without deletions; CPython resizes once fill*5 >= mask*3.
    if (used * 5 >= mask * 3) {
      const minUsed = used > 50000 ? used * 2 : used * 4;
      let newSize = SET_MINSIZE;
      while (newSize <= minUsed) newSize *= 2;
      const old = table;
      table = new Array<Slot | undefined>(newSize).fill(undefined);
      for (const slot of old) if (slot !== undefined) insertClean(table, slot);
    }
  }
  return table.filter((s): s is Slot => s !== undefined).map((s) => [s.value[0], s.value[1]]);
}
