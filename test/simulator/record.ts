import type { IncomingMessage } from 'node:http';
import type { RecordedCallback, RecordedDownload, RecordedRun } from './generative-types';
import type {
	Origin,
	RecordedRequest,
	RecordedUpload,
	RequestFilter,
	SimRecord,
	Violation,
	ViolationKind,
} from './types';

export function matchesPath(pattern: string | RegExp | undefined, path: string): boolean {
	if (pattern === undefined) return true;
	if (typeof pattern === 'string') return pattern === path;
	pattern.lastIndex = 0;
	return pattern.test(path);
}

export class Recorder implements SimRecord {
	// Arrays are cleared in place on reset so that references held by tests stay live.
	readonly requests: RecordedRequest[] = [];
	readonly uploads: RecordedUpload[] = [];
	readonly violations: Violation[] = [];
	creates = 0;
	completes = 0;
	retries = 0;
	duplicatesPrevented = 0;
	readonly runs: RecordedRun[] = [];
	readonly callbacks: RecordedCallback[] = [];
	readonly downloads: RecordedDownload[] = [];
	private seq = 0;

	startRequest(origin: Origin, req: IncomingMessage, url: URL, path: string): RecordedRequest {
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(req.headers)) {
			if (value === undefined) continue;
			// Secrets never enter the record.
			headers[name] =
				name === 'authorization' ? '[present]' : Array.isArray(value) ? value.join(', ') : value;
		}
		const query: Record<string, string | string[]> = {};
		for (const [key, value] of url.searchParams) {
			const prev = query[key];
			if (prev === undefined) query[key] = value;
			else query[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
		}
		const idem = req.headers['idempotency-key'];
		const entry: RecordedRequest = {
			seq: ++this.seq,
			origin,
			method: req.method ?? 'GET',
			path,
			query,
			headers,
			hasAuthorization: req.headers.authorization !== undefined,
			...(typeof idem === 'string' ? { idempotencyKey: idem } : {}),
			status: 'pending',
			bodyBytes: 0,
			startedAt: Date.now(),
		};
		this.requests.push(entry);
		return entry;
	}

	violation(origin: Origin, kind: ViolationKind, detail: string, requestSeq?: number): void {
		this.violations.push({
			origin,
			kind,
			detail,
			...(requestSeq !== undefined ? { requestSeq } : {}),
		});
	}

	countByStatus(filter: RequestFilter = {}): Record<string, number> {
		const out: Record<string, number> = {};
		for (const r of this.requests) {
			if (filter.origin && r.origin !== filter.origin) continue;
			if (filter.method && r.method !== filter.method.toUpperCase()) continue;
			if (!matchesPath(filter.path, r.path)) continue;
			const key = String(r.status);
			out[key] = (out[key] ?? 0) + 1;
		}
		return out;
	}

	clear(): void {
		this.requests.length = 0;
		this.uploads.length = 0;
		this.violations.length = 0;
		this.creates = 0;
		this.completes = 0;
		this.retries = 0;
		this.duplicatesPrevented = 0;
		this.runs.length = 0;
		this.callbacks.length = 0;
		this.downloads.length = 0;
		this.seq = 0;
	}

	toJSON() {
		return {
			requests: this.requests,
			uploads: this.uploads,
			violations: this.violations,
			creates: this.creates,
			completes: this.completes,
			retries: this.retries,
			duplicatesPrevented: this.duplicatesPrevented,
			byStatus: this.countByStatus(),
			runs: this.runs,
			callbacks: this.callbacks,
			downloads: this.downloads,
		};
	}
}
