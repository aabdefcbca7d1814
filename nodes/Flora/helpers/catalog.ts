import type { IDataObject } from 'n8n-workflow';

import type { FloraContext, FloraOutcome } from '../transport';
import { floraApiRequest, floraApiTryRequest } from '../transport';
import type { FloraModel, FloraTechnique } from './parameters';

// FLORA's models and techniques describe the fields of a run. One node run
// reads each list once, however many items it has: free GETs, sent before any
// paid request so a parameter that does not fit is refused first.
const modelCache = new WeakMap<object, Map<string, Promise<FloraModel[]>>>();
const techniqueCache = new WeakMap<object, Map<string, Promise<FloraOutcome>>>();

function cacheFor<T>(cache: WeakMap<object, Map<string, T>>, context: object): Map<string, T> {
	let entries = cache.get(context);
	if (!entries) {
		entries = new Map();
		cache.set(context, entries);
	}
	return entries;
}

/** `GET /models?type=`: every model of a type, with its params. */
export async function fetchModels(
	context: FloraContext,
	type: string,
	options: { itemIndex?: number; maxAttempts?: number } = {},
): Promise<FloraModel[]> {
	const entries = cacheFor(modelCache, context);
	let models = entries.get(type);
	if (!models) {
		models = floraApiRequest
			.call(context, {
				method: 'GET',
				path: '/models',
				qs: { type },
				itemIndex: options.itemIndex,
				maxAttempts: options.maxAttempts,
			})
			.then((page: IDataObject) => (page.models as FloraModel[] | undefined) ?? []);
		entries.set(type, models);
		// A failed read is not kept: the next item may try again.
		models.catch(() => entries.delete(type));
	}
	return await models;
}

/** `GET /techniques/{id or slug}`: the technique, or FLORA's error (404 when unknown). */
export async function fetchTechnique(
	context: FloraContext,
	idOrSlug: string,
	options: { itemIndex?: number; maxAttempts?: number } = {},
): Promise<{ ok: true; technique: FloraTechnique } | Extract<FloraOutcome, { ok: false }>> {
	const entries = cacheFor(techniqueCache, context);
	let outcome = entries.get(idOrSlug);
	if (!outcome) {
		outcome = floraApiTryRequest.call(context, {
			method: 'GET',
			path: `/techniques/${encodeURIComponent(idOrSlug)}`,
			itemIndex: options.itemIndex,
			maxAttempts: options.maxAttempts,
		});
		entries.set(idOrSlug, outcome);
		outcome.catch(() => entries.delete(idOrSlug));
	}
	const answer = await outcome;
	if (!answer.ok) return answer;
	return { ok: true, technique: answer.body as unknown as FloraTechnique };
}
