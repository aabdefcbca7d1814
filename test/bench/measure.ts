/**
 * Measuring inside a benchmark child process: memory sampled while the client
 * works, CPU time, socket count, and the one line of JSON the parent reads back.
 */
import { subscribe } from 'node:diagnostics_channel';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export const MiB = 1024 * 1024;
export const RESULT_MARK = 'BENCH_RESULT ';
/**
 * Warm-up uploads of 4 KiB before a client's idle baseline: n8n runs for days,
 * so its code paths are warm; one cold run would be measured otherwise.
 */
export const WARMUP_RUNS = 10;

export interface MemoryPeaks {
	/** Resident set size, bytes. */
	rss: number;
	/** Memory of ArrayBuffers and Buffers, bytes (part of `external`). */
	arrayBuffers: number;
	external: number;
	heapUsed: number;
}

function snapshot(): MemoryPeaks {
	const m = process.memoryUsage();
	return { rss: m.rss, arrayBuffers: m.arrayBuffers, external: m.external, heapUsed: m.heapUsed };
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Lets the process go idle before its baseline is taken. No forced garbage
 * collection: after one, V8 sizes its heap limits tighter and runs more full
 * collections in what follows (measured on Node 24: 4 instead of 1 for 40 small
 * items), which would distort the run being measured.
 */
export async function idle(): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, 200));
}

/**
 * Samples memory every few milliseconds. `process.resourceUsage().maxRSS` (the
 * kernel's high-water mark) also catches a spike between two samples, but only
 * once it exceeds the process's earlier peak (module loading can set that high).
 */
export class MemorySampler {
	readonly baseline: MemoryPeaks;
	readonly peak: MemoryPeaks;
	private readonly maxRssBefore: number;
	private timer?: NodeJS.Timeout;
	private gcTimer?: NodeJS.Timeout;

	constructor(
		intervalMs = 5,
		/** Investigation only: collect garbage this often while measuring. */
		forceGcEveryMs = 0,
	) {
		this.baseline = snapshot();
		this.peak = { ...this.baseline };
		this.maxRssBefore = process.resourceUsage().maxRSS * 1024;
		this.timer = setInterval(() => this.sample(), intervalMs);
		if (forceGcEveryMs > 0 && gc) this.gcTimer = setInterval(() => gc(), forceGcEveryMs);
	}

	sample(): void {
		const now = snapshot();
		for (const key of Object.keys(now) as Array<keyof MemoryPeaks>) {
			if (now[key] > this.peak[key]) this.peak[key] = now[key];
		}
	}

	stop(): { baseline: MemoryPeaks; peak: MemoryPeaks; growth: MemoryPeaks } {
		this.sample();
		clearInterval(this.timer);
		clearInterval(this.gcTimer);
		const maxRss = process.resourceUsage().maxRSS * 1024;
		if (maxRss > this.maxRssBefore && maxRss > this.peak.rss) this.peak.rss = maxRss;
		const growth = {} as MemoryPeaks;
		for (const key of Object.keys(this.peak) as Array<keyof MemoryPeaks>) {
			growth[key] = Math.max(0, this.peak[key] - this.baseline[key]);
		}
		return { baseline: this.baseline, peak: this.peak, growth };
	}
}

/** Counts outgoing TCP connections, to see whether requests share sockets. */
export function countSockets(): { readonly count: number } {
	const counter = { count: 0 };
	subscribe('net.client.socket', () => {
		counter.count++;
	});
	return counter;
}

export function cpuMs(since: NodeJS.CpuUsage): { user: number; system: number; total: number } {
	const d = process.cpuUsage(since);
	return { user: d.user / 1000, system: d.system / 1000, total: (d.user + d.system) / 1000 };
}

export function emitResult(result: unknown): void {
	process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

export function rowConfig<T>(): T {
	const raw = process.env.BENCH_ROW;
	if (!raw) throw new Error('BENCH_ROW is not set: this file is run by test/bench/main.ts');
	return JSON.parse(raw) as T;
}

export interface GcCounts {
	/** Young-generation collections (scavenges). */
	minor: number;
	/** Full mark-compact collections, the ones that scan the whole heap. */
	major: number;
	/** Main-thread time spent in both, ms. */
	ms: number;
}

/** Counts garbage collections from now until `stop()`. */
export function countGcs(): { stop(): Promise<GcCounts> } {
	const counts: GcCounts = { minor: 0, major: 0, ms: 0 };
	const observer = new PerformanceObserver((list) => {
		for (const entry of list.getEntries()) {
			const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
			if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
			if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
			counts.ms += entry.duration;
		}
	});
	observer.observe({ entryTypes: ['gc'] });
	return {
		// Entries arrive asynchronously: let the last ones in before reading.
		stop: async () => {
			await new Promise((resolve) => setTimeout(resolve, 20));
			observer.disconnect();
			return counts;
		},
	};
}
