import { matchesPath } from './record';
import type { Fault } from './types';

interface QueuedFault {
	fault: Fault;
	skipped: number;
	used: number;
}

const KINDS = new Set([
	'status',
	'reset',
	'delay',
	'lostResponse',
	'expireForm',
	'redirect',
	'echoAuth',
]);

export class FaultQueue {
	private queue: QueuedFault[] = [];

	add(fault: Fault): void {
		validateFault(fault);
		this.queue.push({ fault, skipped: 0, used: 0 });
	}

	clear(): void {
		this.queue = [];
	}

	list(): Fault[] {
		return this.queue.map((q) => q.fault);
	}

	/**
	 * First queued fault matching the request, consumed by this call. expireForm faults are
	 * only taken when a form is issued (`issuing`), so ordinary requests never use them up.
	 */
	take(
		target: 'api' | 'upload',
		method: string,
		path: string,
		issuing = false,
		body?: 'json' | 'multipart',
	): Fault | undefined {
		for (const q of this.queue) {
			const f = q.fault;
			if (f.target !== target) continue;
			if (f.requestBody && f.requestBody !== body) continue;
			if ((f.kind === 'expireForm') !== issuing) continue;
			if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
			if (!matchesPath(f.path, path)) continue;
			if (q.skipped < (f.skip ?? 0)) {
				q.skipped++;
				continue;
			}
			q.used++;
			if (q.used >= (f.times ?? 1)) this.queue.splice(this.queue.indexOf(q), 1);
			return f;
		}
		return undefined;
	}
}

function validateFault(f: Fault): void {
	if (!f || typeof f !== 'object') throw new Error('fault must be an object');
	if (f.target !== 'api' && f.target !== 'upload')
		throw new Error("fault.target must be 'api' or 'upload'");
	if (!KINDS.has(f.kind))
		throw new Error(`unknown fault kind ${String((f as { kind?: unknown }).kind)}`);
	if (f.kind === 'status' && !(Number.isInteger(f.status) && f.status >= 100 && f.status <= 599)) {
		throw new Error('status fault needs an HTTP status');
	}
	if (f.kind === 'delay' && !(typeof f.ms === 'number' && f.ms >= 0))
		throw new Error('delay fault needs ms');
	if (f.times !== undefined && !(Number.isInteger(f.times) && f.times >= 1))
		throw new Error('times must be >= 1');
	if (f.skip !== undefined && !(Number.isInteger(f.skip) && f.skip >= 0))
		throw new Error('skip must be >= 0');
	if (f.requestBody !== undefined && f.requestBody !== 'json' && f.requestBody !== 'multipart')
		throw new Error("requestBody must be 'json' or 'multipart'");
}

/** Fault from JSON (control API): a RegExp path is written as {"regex": "...", "flags": "..."}. */
export function faultFromJson(input: unknown): Fault {
	if (!input || typeof input !== 'object') throw new Error('fault must be an object');
	const raw = { ...(input as Record<string, unknown>) };
	const p = raw.path;
	if (p && typeof p === 'object') {
		const { regex, flags } = p as { regex?: unknown; flags?: unknown };
		if (typeof regex !== 'string') throw new Error('path.regex must be a string');
		raw.path = new RegExp(regex, typeof flags === 'string' ? flags : undefined);
	}
	const fault = raw as unknown as Fault;
	validateFault(fault);
	return fault;
}

export function faultToJson(f: Fault): unknown {
	return f.path instanceof RegExp
		? { ...f, path: { regex: f.path.source, flags: f.path.flags } }
		: f;
}
