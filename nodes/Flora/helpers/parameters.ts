import type { FieldType, IDataObject, ResourceMapperField } from 'n8n-workflow';

// FLORA describes a model's parameters (`GET /models` → `params`) and a
// technique's inputs (`GET /techniques/{id}` → `inputs`) as data. This file
// turns both into n8n resource-mapper fields for the editor, and checks and
// converts what the user (or an expression) put into them before anything is
// sent: a wrong value would otherwise fail a paid request, or be silently
// ignored by the model.

export type ParamType = 'string' | 'string[]' | 'bool' | 'int' | 'int?' | 'seed' | 'float' | 'dict';

/** One entry of a model's `params`, as `GET /models` sends it. */
export interface ModelParam {
	name: string;
	required?: boolean;
	type: ParamType | string;
	default?: unknown;
	description?: string;
	label?: string;
	min?: number;
	max?: number;
	options?: Array<{ label?: string; value: unknown }>;
}

/** A model as `GET /models` sends it (the fields the node uses). */
export interface FloraModel {
	model_id: string;
	name?: string;
	provider?: string;
	type?: string;
	estimated_credits?: number;
	estimated_seconds?: number;
	beta?: boolean;
	params?: ModelParam[];
}

export type TechniqueIoType = 'imageUrl' | 'videoUrl' | 'audioUrl' | 'documentUrl' | 'text';

/** One entry of a technique's `inputs`. */
export interface TechniqueInput {
	id: string;
	name?: string;
	type: TechniqueIoType | string;
	description?: string;
	optional?: boolean;
	allow_multiple?: boolean;
}

export interface FloraTechnique {
	technique_id: string;
	name?: string;
	description?: string;
	run_cost?: number;
	inputs?: TechniqueInput[];
	outputs?: TechniqueInput[];
}

// FLORA's seed parameter is an unsigned 32-bit integer.
export const SEED_RANGE = { min: 0, max: 4_294_967_295 };

export const MEDIA_INPUT_TYPES: Record<string, { noun: string; mimePrefix: string }> = {
	imageUrl: { noun: 'image', mimePrefix: 'image/' },
	videoUrl: { noun: 'video', mimePrefix: 'video/' },
	audioUrl: { noun: 'audio file', mimePrefix: 'audio/' },
	documentUrl: { noun: 'document (PDF)', mimePrefix: 'application/pdf' },
};

export function isMediaInput(input: TechniqueInput): boolean {
	return input.type in MEDIA_INPUT_TYPES;
}

function fieldType(param: ModelParam): FieldType {
	if (param.options?.length) return 'options';
	switch (param.type) {
		case 'bool':
			return 'boolean';
		case 'int':
		case 'int?':
		case 'seed':
		case 'float':
			return 'number';
		case 'string[]':
			return 'array';
		case 'dict':
			return 'object';
		default:
			return 'string';
	}
}

function rangeOf(param: ModelParam): { min?: number; max?: number } {
	if (param.type === 'seed') {
		return { min: param.min ?? SEED_RANGE.min, max: param.max ?? SEED_RANGE.max };
	}
	return { min: param.min, max: param.max };
}

function rangeText(param: ModelParam): string {
	const { min, max } = rangeOf(param);
	if (min !== undefined && max !== undefined) return `${min}–${max}`;
	if (min !== undefined) return `at least ${min}`;
	if (max !== undefined) return `at most ${max}`;
	return '';
}

/** The name a parameter is shown and reported under. */
export function paramLabel(param: ModelParam): string {
	return param.label?.trim() || param.name;
}

function fieldDisplayName(param: ModelParam): string {
	const notes: string[] = [];
	const range = param.options?.length ? '' : rangeText(param);
	if (range) notes.push(range);
	if (param.type === 'int?') notes.push('empty = model default');
	if (param.type === 'string[]') notes.push('list');
	if (param.type === 'dict') notes.push('JSON object');
	return notes.length ? `${paramLabel(param)} (${notes.join(', ')})` : paramLabel(param);
}

function defaultValueOf(value: unknown): ResourceMapperField['defaultValue'] {
	if (value === undefined) return undefined;
	if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
		return value as string | number | boolean | null;
	}
	return JSON.stringify(value);
}

/** A model's `params` as resource-mapper fields, in FLORA's order. */
export function modelParamsToFields(params: ModelParam[]): ResourceMapperField[] {
	return params.map((param) => {
		const field: ResourceMapperField = {
			id: param.name,
			displayName: fieldDisplayName(param),
			required: param.required === true,
			defaultMatch: false,
			canBeUsedToMatch: false,
			display: true,
			type: fieldType(param),
		};
		if (param.options?.length) {
			field.options = param.options.map((option) => ({
				name: String(option.label ?? option.value),
				value: option.value as string | number | boolean,
			}));
		}
		const defaultValue = defaultValueOf(param.default);
		if (defaultValue !== undefined) field.defaultValue = defaultValue;
		return field;
	});
}

/** A technique's `inputs` as resource-mapper fields: text, or a URL / binary field name. */
export function techniqueInputsToFields(inputs: TechniqueInput[]): ResourceMapperField[] {
	return inputs.map((input) => {
		const media = MEDIA_INPUT_TYPES[input.type];
		const notes: string[] = [];
		if (media) notes.push(`${media.noun}: HTTPS URL or input binary field name`);
		if (input.allow_multiple) notes.push('several allowed: a list');
		const name = input.name?.trim() || input.id;
		return {
			id: input.id,
			displayName: notes.length ? `${name} (${notes.join('; ')})` : name,
			required: input.optional !== true,
			defaultMatch: false,
			canBeUsedToMatch: false,
			display: true,
			type: 'string',
		};
	});
}

function describe(value: unknown): string {
	if (typeof value === 'string') return JSON.stringify(value);
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'an object';
	return String(value);
}

/** Empty as n8n's fields leave it: not set, null, or blank text. */
export function isEmptyValue(value: unknown): boolean {
	return (
		value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
	);
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

function toNumber(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
	if (typeof value === 'string' && value.trim() !== '') {
		const n = Number(value.trim());
		return Number.isFinite(n) ? n : undefined;
	}
	return undefined;
}

export type Coerced = { ok: true; value: unknown } | { ok: false; problem: string; fix: string };

/**
 * One parameter's value converted to the type FLORA expects (`"4"` → 4,
 * `"true"` → true, JSON text → list/object), or what is wrong with it.
 * Expects a non-empty value.
 */
export function coerceParamValue(param: ModelParam, value: unknown): Coerced {
	const label = paramLabel(param);
	const fail = (problem: string, fix: string): Coerced => ({ ok: false, problem, fix });
	const optionValues = param.options?.map((o) => o.value);
	const inOptions = (v: unknown): Coerced =>
		optionValues && !optionValues.some((o) => String(o) === String(v))
			? fail(
					`${label} must be one of ${optionValues.map((o) => String(o)).join(', ')}, but it is ${describe(v)}`,
					`Pick one of the listed values for ${label}.`,
				)
			: { ok: true, value: v };
	const inRange = (n: number): Coerced => {
		const { min, max } = rangeOf(param);
		if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
			return fail(
				`${label} must be ${rangeText(param)}, but it is ${n}`,
				`Set ${label} to a value ${min !== undefined && max !== undefined ? `between ${min} and ${max}` : rangeText(param)}.`,
			);
		}
		return { ok: true, value: n };
	};

	switch (param.type) {
		case 'string': {
			if (typeof value === 'object') {
				return fail(
					`${label} must be text, but it is ${describe(value)}`,
					`Give ${label} a plain text value.`,
				);
			}
			return inOptions(String(value));
		}
		case 'string[]': {
			let list = value;
			if (typeof list === 'string') {
				const trimmed = list.trim();
				list = trimmed.startsWith('[') ? parseJson(trimmed) : [trimmed];
			}
			if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
				return fail(
					`${label} must be a list of texts, but it is ${describe(value)}`,
					`Give ${label} a JSON list such as ["https://example.com/a.png"], or a single text.`,
				);
			}
			return { ok: true, value: list };
		}
		case 'bool': {
			if (typeof value === 'boolean') return { ok: true, value };
			const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
			if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
			return fail(
				`${label} must be true or false, but it is ${describe(value)}`,
				`Set ${label} to true or false.`,
			);
		}
		case 'int':
		case 'int?':
		case 'seed': {
			const n = toNumber(value);
			if (n === undefined || !Number.isInteger(n)) {
				return fail(
					`${label} must be a whole number, but it is ${describe(value)}`,
					`Set ${label} to a whole number${rangeText(param) ? ` (${rangeText(param)})` : ''}.`,
				);
			}
			const ranged = inRange(n);
			return ranged.ok ? inOptionsNumber(n) : ranged;
		}
		case 'float': {
			const n = toNumber(value);
			if (n === undefined) {
				return fail(
					`${label} must be a number, but it is ${describe(value)}`,
					`Set ${label} to a number${rangeText(param) ? ` (${rangeText(param)})` : ''}.`,
				);
			}
			const ranged = inRange(n);
			return ranged.ok ? inOptionsNumber(n) : ranged;
		}
		case 'dict': {
			const object = typeof value === 'string' ? parseJson(value.trim()) : value;
			if (!object || typeof object !== 'object' || Array.isArray(object)) {
				return fail(
					`${label} must be a JSON object, but it is ${describe(value)}`,
					`Give ${label} an object such as {"key": "value"}.`,
				);
			}
			return { ok: true, value: object };
		}
		default:
			// A type this node does not know yet: FLORA checks it.
			return { ok: true, value };
	}

	function inOptionsNumber(n: number): Coerced {
		const checked = inOptions(n);
		return checked.ok ? { ok: true, value: n } : checked;
	}
}

export interface ParamsCheck {
	params: IDataObject;
	problems: Array<{ message: string; fix: string }>;
}

/**
 * The Model Parameters a user set, checked against the model's schema: only
 * the model's own parameters, each of its type and in range, every required
 * one present. Empty fields are left out, so the model uses its defaults.
 */
export function checkModelParameters(
	model: FloraModel,
	values: IDataObject | null | undefined,
): ParamsCheck {
	const schema = model.params ?? [];
	const byName = new Map(schema.map((p) => [p.name, p]));
	const params: IDataObject = {};
	const problems: ParamsCheck['problems'] = [];
	for (const [name, value] of Object.entries(values ?? {})) {
		const param = byName.get(name);
		if (!param) {
			if (isEmptyValue(value)) continue;
			problems.push({
				message: `"${name}" is not a parameter of model ${model.model_id}`,
				fix: schema.length
					? `Model ${model.model_id} takes: ${schema.map((p) => p.name).join(', ')}. Remove "${name}" (it may be left from another model: open Model Parameters and refresh the fields).`
					: `Model ${model.model_id} takes no parameters. Remove "${name}".`,
			});
			continue;
		}
		if (isEmptyValue(value)) continue;
		const coerced = coerceParamValue(param, value);
		if (coerced.ok) params[name] = coerced.value as IDataObject[string];
		else problems.push({ message: coerced.problem, fix: coerced.fix });
	}
	for (const param of schema) {
		if (param.required && param.default === undefined && !(param.name in params)) {
			if (problems.some((p) => p.message.startsWith(`${paramLabel(param)} `))) continue;
			problems.push({
				message: `${paramLabel(param)} is required by model ${model.model_id}`,
				fix: `Set ${paramLabel(param)} in Model Parameters${param.options?.length ? ` (one of ${param.options.map((o) => String(o.value)).join(', ')})` : ''}.`,
			});
		}
	}
	return { params, problems };
}

/** One technique input as the user gave it: text, or media by URL or binary field. */
export type InputEntry =
	| { kind: 'text'; value: string }
	| { kind: 'url'; value: string }
	| { kind: 'binary'; propertyName: string };

export interface InputValue {
	input: TechniqueInput;
	entries: InputEntry[];
}

export interface InputsCheck {
	inputs: InputValue[];
	problems: Array<{ message: string; fix: string }>;
}

function inputLabel(input: TechniqueInput): string {
	return input.name?.trim() || input.id;
}

function asList(value: unknown): unknown[] {
	if (Array.isArray(value)) return value;
	if (typeof value === 'string') {
		const trimmed = value.trim();
		if (trimmed.startsWith('[')) {
			const parsed = parseJson(trimmed);
			if (Array.isArray(parsed)) return parsed;
		}
	}
	return [value];
}

/**
 * The Inputs a user set, checked against the technique: only its own inputs,
 * every required one present, one value unless it takes several. A media
 * value with `://` is a URL (checked by the caller); anything else names a
 * binary field of the input item.
 */
export function checkTechniqueInputs(
	technique: FloraTechnique,
	values: IDataObject | null | undefined,
): InputsCheck {
	const schema = technique.inputs ?? [];
	const byId = new Map(schema.map((i) => [i.id, i]));
	const inputs: InputValue[] = [];
	const problems: InputsCheck['problems'] = [];
	const given = new Set<string>();
	for (const [id, value] of Object.entries(values ?? {})) {
		const input = byId.get(id);
		if (!input) {
			if (isEmptyValue(value)) continue;
			problems.push({
				message: `"${id}" is not an input of technique ${technique.technique_id}`,
				fix: `Technique ${technique.technique_id} takes: ${schema.map((i) => i.id).join(', ') || 'no inputs'}. Remove "${id}" (it may be left from another technique: open Inputs and refresh the fields).`,
			});
			continue;
		}
		if (isEmptyValue(value)) continue;
		const label = inputLabel(input);
		const list = asList(value).filter((v) => !isEmptyValue(v));
		if (list.length > 1 && !input.allow_multiple) {
			problems.push({
				message: `${label} takes one value, but it got ${list.length}`,
				fix: `Give ${label} a single ${isMediaInput(input) ? 'URL or binary field name' : 'text'}.`,
			});
			continue;
		}
		const bad = list.find((v) => typeof v !== 'string' && typeof v !== 'number');
		if (bad !== undefined) {
			problems.push({
				message: `${label} must be text, but it is ${describe(bad)}`,
				fix: isMediaInput(input)
					? `Give ${label} an HTTPS URL or the name of a binary field of the input item.`
					: `Give ${label} a plain text value.`,
			});
			continue;
		}
		const texts = list.map((v) => String(v).trim());
		const entries: InputEntry[] = texts.map((text) => {
			if (!isMediaInput(input)) return { kind: 'text', value: text };
			return text.includes('://')
				? { kind: 'url', value: text }
				: { kind: 'binary', propertyName: text };
		});
		given.add(id);
		inputs.push({ input, entries });
	}
	for (const input of schema) {
		if (input.optional !== true && !given.has(input.id)) {
			if (problems.some((p) => p.message.startsWith(`${inputLabel(input)} `))) continue;
			problems.push({
				message: `${inputLabel(input)} is required by technique ${technique.technique_id}`,
				fix: isMediaInput(input)
					? `Set ${inputLabel(input)} in Inputs to an HTTPS URL or the name of a binary field of the input item (for example data).`
					: `Set ${inputLabel(input)} in Inputs.`,
			});
		}
	}
	return { inputs, problems };
}
