import type { IExecuteFunctions } from 'n8n-workflow';

import { itemError } from './errors';

/**
 * Checks on what the user typed, run for every item before any request is sent,
 * so that a bad item never leaves half-created assets behind. Each message names
 * the field and says how to fix it.
 */

export const LIMITS = {
	waitTimeout: { min: 1, max: 3600 },
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

export function fail(
	context: IExecuteFunctions,
	itemIndex: number,
	message: string,
	description?: string,
): never {
	throw itemError(context, itemIndex, message, description);
}

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
		fail(
			context,
			itemIndex,
			`${label} must be text, but it is ${typeName(value)}`,
			`Change the ${label} field (or the expression in it) so that it gives a plain text value.`,
		);
	}
	if (value.trim() === '') {
		fail(
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
	if (text === undefined) fail(context, itemIndex, `${label} is empty`, fix);
	return text;
}

export function validateWorkspaceId(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	const id = requiredText(
		context,
		itemIndex,
		'Workspace',
		value,
		'Pick a workspace from the list, or switch to "ID" and enter a workspace ID such as ws_abc123.',
	);
	if (!/^ws_\S+$/.test(id)) {
		fail(
			context,
			itemIndex,
			`Workspace ID "${id}" is not a FLORA workspace ID`,
			'A workspace ID starts with ws_ and has no spaces (for example ws_abc123). Pick the workspace from the list to be sure.',
		);
	}
	return id;
}

export function validateProjectId(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
): string | undefined {
	const id = optionalText(context, itemIndex, label, value);
	if (id !== undefined && !/^prj_\S+$/.test(id)) {
		fail(
			context,
			itemIndex,
			`${label} "${id}" is not a FLORA project ID`,
			'A project ID starts with prj_ and has no spaces (for example prj_abc123). Pick the project from the list, or clear the field.',
		);
	}
	return id;
}

export function validateAssetId(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	const id = requiredText(
		context,
		itemIndex,
		'Asset ID',
		value,
		'Enter the ID of a FLORA asset, such as asset_abc123 (the asset_id field of a created asset).',
	);
	if (!/^asset_\S+$/.test(id)) {
		fail(
			context,
			itemIndex,
			`Asset ID "${id}" is not a FLORA asset ID`,
			'An asset ID starts with asset_ and has no spaces (for example asset_abc123).',
		);
	}
	return id;
}

/** Only public HTTPS URLs: FLORA fetches them server-side and refuses anything else. */
export function validateSourceUrl(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): string {
	const text = requiredText(
		context,
		itemIndex,
		'URL',
		value,
		'Enter the public HTTPS address of the file, for example https://example.com/image.png.',
	);
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		fail(
			context,
			itemIndex,
			`URL "${text}" is not a valid address`,
			'Enter a full HTTPS address, for example https://example.com/image.png. Relative paths are not accepted.',
		);
	}
	if (url.protocol !== 'https:') {
		fail(
			context,
			itemIndex,
			`URL must use HTTPS, but it starts with "${url.protocol}"`,
			'FLORA only fetches public https:// addresses. Host the file on an HTTPS server, or upload it as binary data with Source "Binary File".',
		);
	}
	if (url.username || url.password) {
		fail(
			context,
			itemIndex,
			'URL contains a user name or password',
			'Remove the credentials from the URL (user:password@host). Use a signed or public link instead; FLORA would store the credentials with the asset.',
		);
	}
	if (/\s/.test(text)) {
		fail(context, itemIndex, 'URL contains spaces', 'Encode spaces in the URL as %20.');
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
		fail(
			context,
			itemIndex,
			`Content Type "${value}" is not a media type`,
			'Use the form type/subtype, for example image/png or video/mp4.',
		);
	}
	if (!ALLOWED_CONTENT_TYPES.includes(base)) {
		fail(
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
		fail(
			context,
			itemIndex,
			`${label} must be a number from ${range.min} to ${range.max}${unit}, but it is ${JSON.stringify(value)}`,
			`Set ${label} to a value between ${range.min} and ${range.max}${unit}.`,
		);
	}
	return n;
}
