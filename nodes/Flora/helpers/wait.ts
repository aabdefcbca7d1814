import { sleep } from 'n8n-workflow';

import { FloraCancelledError } from './errors';

// Short slices, because n8n-workflow's sleep cannot be interrupted: a cancelled
// execution stops waiting within one slice instead of after a long Retry-After.
const SLICE_MS = 100;

/** Waits `ms`, ending early with FloraCancelledError when the execution is cancelled. */
export async function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
	const until = Date.now() + Math.max(0, ms);
	for (;;) {
		if (signal?.aborted) throw new FloraCancelledError();
		const left = until - Date.now();
		if (left <= 0) return;
		await sleep(Math.min(SLICE_MS, left));
	}
}
