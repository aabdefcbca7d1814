import type { IExecuteFunctions } from 'n8n-workflow';

import { itemError } from './errors';
import type { FloraIdKind } from './ids';
import { exampleId, ID_PREFIXES, isFloraId, isTechniqueRef } from './ids';

// Checks on what the user typed, run for every item before any request is sent,
// so that a bad item never leaves half-created assets behind. Each message names
// the field and says how to fix it.

export const LIMITS = {
	waitTimeout: { min: 1, max: 3600 },
	/** Seconds a run may take before the item fails (Options → Timeout). */
	runTimeout: { min: 1, max: 7200 },
	promptLength: 100_000,
	concurrency: { min: 1, max: 8 },
	idempotencyKeyLength: 255,
	getAllLimit: { min: 1, max: 10_000 },
};

// FLORA's allowed upload types (developer.flora.ai).
export const ALLOWED_CONTENT_TYPES = [
	'image/jpeg',
	'image/png',
	'image/webp',
	'image/gif',
	'image/avif',
	'image/heic',
	'image/heif',
	'video/mp4',
	'video/webm',
	'video/quicktime',
	'audio/mpeg',
	'audio/wav',
	'audio/ogg',
	'application/pdf',
];

function typeName(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A text field: undefined when left empty; an error when an expression produced
 * something other than text, or only white space.
 */
export function optionalText(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') {
		throw itemError(
			context,
			itemIndex,
			`${label} must be text, but it is ${typeName(value)}`,
			`Change the ${label} field (or the expression in it) so that it gives a plain text value.`,
		);
	}
	if (value.trim() === '') {
		throw itemError(
			context,
			itemIndex,
			`${label} contains only spaces`,
			`Clear the ${label} field or enter a real value.`,
		);
	}
	return value.trim();
}

export function requiredText(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	fix: string,
): string {
	const text = optionalText(context, itemIndex, label, value);
	if (text === undefined) throw itemError(context, itemIndex, `${label} is empty`, fix);
	return text;
}

const ID_NAMES: Record<FloraIdKind, string> = {
	workspace: 'workspace',
	project: 'project',
	asset: 'asset',
	run: 'run',
	technique: 'technique',
};

/**
 * A FLORA ID typed or mapped by the user: undefined when optional and empty,
 * otherwise checked against the ID's format, with a message naming the field.
 */
export function validateId(
	context: IExecuteFunctions,
	itemIndex: number,
	kind: FloraIdKind,
	label: string,
	value: unknown,
	fix: ({ required: true; emptyHint: string } | { required: false }) & { idLabel?: string },
): string | undefined {
	const id = fix.required
		? requiredText(context, itemIndex, label, value, fix.emptyHint)
		: optionalText(context, itemIndex, label, value);
	if (id !== undefined && !isFloraId(kind, id)) {
		const name = ID_NAMES[kind];
		throw itemError(
			context,
			itemIndex,
			`${fix.idLabel ?? label} "${id}" is not a FLORA ${name} ID`,
			`${/^[aeiou]/.test(name) ? 'An' : 'A'} ${name} ID starts with ${ID_PREFIXES[kind]} and has no spaces (for example ${exampleId(kind)}).${fix.required ? '' : ' Pick it from the list, or clear the field.'}`,
		);
	}
	return id;
}

export function validateWorkspaceId(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	return validateId(context, itemIndex, 'workspace', 'Workspace', value, {
		required: true,
		idLabel: 'Workspace ID',
		emptyHint:
			'Pick a workspace from the list, or switch to "ID" and enter a workspace ID such as ws_abc123.',
	}) as string;
}

export function validateProjectId(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
): string | undefined {
	return validateId(context, itemIndex, 'project', label, value, { required: false });
}

/** A project that an operation acts on: required, and checked before any request (FLORA answers 500, not 404, for a malformed ID). */
export function validateRequiredProjectId(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	return validateId(context, itemIndex, 'project', 'Project', value, {
		required: true,
		idLabel: 'Project ID',
		emptyHint:
			'Pick a project from the list, or switch to "ID" and enter a project ID such as prj_abc123.',
	}) as string;
}

export function validateAssetId(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	return validateId(context, itemIndex, 'asset', 'Asset ID', value, {
		required: true,
		emptyHint:
			'Enter the ID of a FLORA asset, such as asset_abc123 (the asset_id field of a created asset).',
	}) as string;
}

export function validateRunId(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	return validateId(context, itemIndex, 'run', 'Run ID', value, {
		required: true,
		emptyHint:
			'Enter the ID of a FLORA run, such as run_abc123 (the run_id field of a generation or technique run).',
	}) as string;
}

/**
 * A technique by ID (`tech_…`) or slug; undefined when optional and empty. Checked
 * here because a slash or a space would change the path FLORA is asked for.
 */
export function validateTechniqueRef(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	required: boolean,
): string | undefined {
	const ref = required
		? requiredText(
				context,
				itemIndex,
				label,
				value,
				'Pick a technique from the list, or enter its ID (such as tech_abc123) or its slug (such as product-photo-variants).',
			)
		: optionalText(context, itemIndex, label, value);
	if (ref !== undefined && !isTechniqueRef(ref)) {
		throw itemError(
			context,
			itemIndex,
			`${label} "${ref}" is neither a FLORA technique ID nor a technique slug`,
			'A technique ID starts with tech_ and has no spaces (for example tech_abc123); a slug has only letters, digits, dots, hyphens and underscores (for example product-photo-variants).',
		);
	}
	return ref;
}

/** The Idempotency Key option: undefined when empty (a key is then derived). */
export function validateIdempotencyKey(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string | undefined {
	const key = optionalText(context, itemIndex, 'Idempotency Key', value);
	if (key !== undefined && key.length > LIMITS.idempotencyKeyLength) {
		throw itemError(
			context,
			itemIndex,
			`Idempotency Key is ${key.length} characters long; the most FLORA accepts is ${LIMITS.idempotencyKeyLength}`,
			'Use a shorter value, for example a hash of the longer one.',
		);
	}
	return key;
}

/**
 * One of a fixed set of values (an options field, which an expression may fill
 * with anything); undefined when optional and empty.
 */
export function validateChoice<T extends string>(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	allowed: readonly T[],
): T | undefined {
	const text = optionalText(context, itemIndex, label, value);
	if (text === undefined) return undefined;
	if (!(allowed as readonly string[]).includes(text)) {
		throw itemError(
			context,
			itemIndex,
			`${label} "${text}" is not one of ${allowed.join(', ')}`,
			`Set ${label} to one of ${allowed.join(', ')}.`,
		);
	}
	return text as T;
}

/** Where a URL is checked: the field's name and how to do without an HTTPS address. */
export interface UrlField {
	label: string;
	emptyHint: string;
	httpsFix: string;
}

const SOURCE_URL_FIELD: UrlField = {
	label: 'URL',
	emptyHint:
		'Enter the public HTTPS address of the file, for example https://example.com/image.png.',
	httpsFix:
		'FLORA only fetches public https:// addresses. Host the file on an HTTPS server, or upload it as binary data with Source "Binary File".',
};

/** Only public HTTPS URLs: FLORA fetches them server-side and refuses anything else. */
export function validateSourceUrl(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
	field: UrlField = SOURCE_URL_FIELD,
): string {
	const { label } = field;
	const text = requiredText(context, itemIndex, label, value, field.emptyHint);
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw itemError(
			context,
			itemIndex,
			`${label} "${text}" is not a valid address`,
			'Enter a full HTTPS address, for example https://example.com/image.png. Relative paths are not accepted.',
		);
	}
	if (url.protocol !== 'https:') {
		throw itemError(
			context,
			itemIndex,
			`${label} must use HTTPS, but it starts with "${url.protocol}"`,
			field.httpsFix,
		);
	}
	if (url.username || url.password) {
		throw itemError(
			context,
			itemIndex,
			`${label} contains a user name or password`,
			'Remove the credentials from the URL (user:password@host). Use a signed or public link instead; FLORA would store the credentials with the asset.',
		);
	}
	if (/\s/.test(text)) {
		throw itemError(
			context,
			itemIndex,
			`${label} contains spaces`,
			'Encode spaces in the URL as %20.',
		);
	}
	return url.toString();
}

export function validateContentType(
	context: IExecuteFunctions,
	itemIndex: number,
	value: string | undefined,
	fromBinary: boolean,
): void {
	if (value === undefined) return;
	const base = value.split(';')[0].trim().toLowerCase();
	if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(base)) {
		throw itemError(
			context,
			itemIndex,
			`Content Type "${value}" is not a media type`,
			'Use the form type/subtype, for example image/png or video/mp4.',
		);
	}
	if (!ALLOWED_CONTENT_TYPES.includes(base)) {
		throw itemError(
			context,
			itemIndex,
			`FLORA does not accept files of type "${base}"`,
			`${fromBinary ? 'The binary data has this MIME type. ' : ''}FLORA accepts ${ALLOWED_CONTENT_TYPES.join(', ')}. ${fromBinary ? 'Set Additional Fields → Content Type if the MIME type is wrong, or convert the file first.' : 'Change Content Type to one of them.'}`,
		);
	}
}

export function validateNumberInRange(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	range: { min: number; max: number },
	unit = '',
): number {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof n !== 'number' || !Number.isFinite(n) || n < range.min || n > range.max) {
		throw itemError(
			context,
			itemIndex,
			`${label} must be a number from ${range.min} to ${range.max}${unit}, but it is ${JSON.stringify(value)}`,
			`Set ${label} to a value between ${range.min} and ${range.max}${unit}.`,
		);
	}
	return n;
}
