import type { RopeScaling } from '@internvl/model-config';
import { ConfigError } from './checkpoint-errors';
import { isJsonObject, ConfigFields } from './config-fields';

const SUPPORTED = ['su', 'longrope', 'dynamic', 'linear'] as const;

/**
 * Parses `llm_config.rope_scaling`: null → none; Phi-3 LongRoPE (`type` "su" in the April 2024
 * config, "longrope" later, or the newer `rope_type` key) with one factor per rotary frequency
 * (head_dim / 2 of them); InternLM2 dynamic NTK or linear with a `factor`.
 */
export function parseRopeScaling(llm: ConfigFields, headDim: number): RopeScaling {
  const raw = llm.raw('rope_scaling');
  if (raw === undefined) return { type: 'none' };
  const key = llm.key('rope_scaling');
  if (!isJsonObject(raw)) throw new ConfigError(`config.json: ${key} must be an object or null`);
  const rs = new ConfigFields(raw, key);
  const type = rs.has('type') ? rs.string('type') : rs.has('rope_type') ? rs.string('rope_type') : undefined;
  if (type === undefined) throw new ConfigError(`config.json: ${key} has neither "type" nor "rope_type"`);
  if (type === 'default') return { type: 'none' };
  if (type === 'su' || type === 'longrope') {
    const half = headDim / 2;
    const shortFactor = rs.numbers('short_factor');
    const longFactor = rs.numbers('long_factor');
    for (const [name, list] of [
      ['short_factor', shortFactor],
      ['long_factor', longFactor],
    ] as const) {
      if (list.length !== half) {
        throw new ConfigError(
          `config.json: ${rs.key(name)} has ${list.length} values; it needs head_dim/2 = ${half} (head_dim ${headDim})`,
        );
      }
      if (list.some((f) => f <= 0))
        throw new ConfigError(`config.json: ${rs.key(name)} must hold positive factors`);
    }
    const out: Extract<RopeScaling, { type: 'su' | 'longrope' }> = { type, shortFactor, longFactor };
    if (rs.has('short_mscale')) out.shortMscale = rs.number('short_mscale');
    if (rs.has('long_mscale')) out.longMscale = rs.number('long_mscale');
    return out;
  }
  if (type === 'dynamic' || type === 'linear') {
    const factor = rs.number('factor');
    if (factor <= 0) throw new ConfigError(`config.json: ${rs.key('factor')} must be > 0, got ${factor}`);
    return { type, factor };
  }
  throw new ConfigError(
    `config.json: ${key} type '${type}' is not supported; supported: ${SUPPORTED.join(', ')}, or null`,
  );
}
