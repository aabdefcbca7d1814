// FLORA's ID formats and generation types, defined once for the descriptions
// (resource-locator validation), the checks before any request, and the pickers.

/** The `type` values of `POST /generate` and `GET /models?type=`. */
export const GENERATION_TYPES = ['image', 'video', 'audio', 'text'] as const;

export const ID_PREFIXES = {
	workspace: 'ws_',
	project: 'prj_',
	asset: 'asset_',
	run: 'run_',
	technique: 'tech_',
} as const;

export type FloraIdKind = keyof typeof ID_PREFIXES;

/** Regex sources, as n8n's resource-locator `validation` takes them. */
export const ID_PATTERNS = Object.fromEntries(
	Object.entries(ID_PREFIXES).map(([kind, prefix]) => [kind, `^${prefix}\\S+$`]),
) as Record<FloraIdKind, string>;

const ID_REGEXES = Object.fromEntries(
	Object.entries(ID_PATTERNS).map(([kind, source]) => [kind, new RegExp(source)]),
) as Record<FloraIdKind, RegExp>;

/**
 * A technique by its ID (`tech_…`) or its slug (`product-photo-variants`): FLORA's
 * technique paths take either.
 */
export const TECHNIQUE_REF_PATTERN = `^(${ID_PREFIXES.technique}\\S+|[A-Za-z0-9][A-Za-z0-9._-]*)$`;
const TECHNIQUE_REF_REGEX = new RegExp(TECHNIQUE_REF_PATTERN);

export function isTechniqueRef(value: string): boolean {
	return TECHNIQUE_REF_REGEX.test(value);
}

export function isFloraId(kind: FloraIdKind, value: string): boolean {
	return ID_REGEXES[kind].test(value);
}

/** An example ID for messages and placeholders, e.g. `ws_abc123`. */
export function exampleId(kind: FloraIdKind): string {
	return `${ID_PREFIXES[kind]}abc123`;
}
