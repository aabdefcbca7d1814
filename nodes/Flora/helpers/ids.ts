// FLORA's ID formats, defined once for the descriptions (resource-locator
// validation), the checks before any request, and the pickers.

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

export function isFloraId(kind: FloraIdKind, value: string): boolean {
	return ID_REGEXES[kind].test(value);
}

/** An example ID for messages and placeholders, e.g. `ws_abc123`. */
export function exampleId(kind: FloraIdKind): string {
	return `${ID_PREFIXES[kind]}abc123`;
}
