/**
 * One benchmark row for the Flora node, in a fresh process: a workflow
 * (fixture source → Flora Asset → Create) on the real n8n-core engine, binary
 * data in filesystem mode, against the simulator the parent started.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { Flora } from '../../nodes/Flora/Flora.node';
import { cleanupHarness } from '../integration/harness';
import type { FixtureItem } from '../integration/harness';
import { createParams, runFlora } from '../integration/harness/flora';
import type { Simulator } from '../simulator';
import type { GcCounts } from './measure';
import {
	WARMUP_RUNS,
	countGcs,
	countSockets,
	cpuMs,
	emitResult,
	idle,
	MemorySampler,
	rowConfig,
} from './measure';

export interface NodeRowConfig {
	apiBaseUrl: string;
	apiKey: string;
	/** A file already on disk; every item streams it into n8n's binary store. */
	file: string;
	mimeType: string;
	items: number;
	concurrency: number;
	/** Options → Single-Request Upload for Small Files (the node's default: on). */
	directUpload?: boolean;
	/** A small file for the warm-up runs before the baseline is taken. */
	warmupFile: string;
	sampleEveryMs: number;
	forceGcEveryMs?: number;
}

export interface NodeRowResult {
	ok: boolean;
	error?: string;
	/** Flora node's execute(), from the first request to the last answer. */
	nodeMs: number;
	/** Whole workflow, including the fixture source storing the file in n8n's binary store. */
	workflowMs: number;
	cpu: { user: number; system: number; total: number };
	/** Minor page faults while the Flora node ran: fresh memory touched for the first time. */
	pageFaults: number;
	sockets: number;
	/** From the idle process before the workflow (the upstream node storing the file included). */
	memory: ReturnType<MemorySampler['stop']>;
	/** From the Flora node's own start. */
	nodeMemory: ReturnType<MemorySampler['stop']>;
	/** Garbage collections while the Flora node ran. */
	gc: GcCounts;
	statuses: string[];
}

/** A shell that runs `sync` on request, started early so the timed run never forks. */
function startSyncer() {
	const child = spawn('sh', ['-c', 'while read -r _; do sync; echo synced; done'], {
		stdio: ['pipe', 'pipe', 'inherit'],
	});
	const lines = createInterface({ input: child.stdout });
	return {
		sync: async () =>
			await new Promise<void>((resolve) => {
				lines.once('line', () => resolve());
				child.stdin.write('sync\n');
			}),
		stop: () => child.stdin.end(),
	};
}

async function main(): Promise<void> {
	const config = rowConfig<NodeRowConfig>();
	const syncer = startSyncer();
	// Only the credential fields of the simulator are used by runFlora.
	const sim = { apiKey: config.apiKey, apiBaseUrl: config.apiBaseUrl } as Simulator;

	// Times the node under test alone: the harness builds its node from this class.
	const timing = {
		start: 0,
		end: 0,
		cpu: process.cpuUsage(),
		cpuTaken: cpuMs(process.cpuUsage()),
		faults: 0,
	};
	let sockets = { count: 0 };
	let socketsAtStart = 0;
	let sampler: MemorySampler | undefined;
	let nodeSampler: MemorySampler | undefined;
	let nodeMemory: NodeRowResult['nodeMemory'] | undefined;
	let gcs: ReturnType<typeof countGcs> | undefined;
	const execute = Flora.prototype.execute;
	Flora.prototype.execute = async function (this: IExecuteFunctions) {
		sampler?.sample();
		// The upstream node just wrote the file into n8n's binary store: flush it
		// first, so the kernel's writeback does not compete with the timed upload.
		// A helper started before the warm-ups runs `sync`: spawning it here would
		// fork this process, and every page written after a fork is copied on first
		// write (measured: about 9,000 page faults, 200 ms of CPU, inside the timed run).
		// No forced garbage collection here: it changes how V8 schedules the
		// collections during the upload (measured: 16 full collections instead of none).
		if (sampler) await syncer.sync();
		if (sampler) {
			nodeSampler = new MemorySampler(config.sampleEveryMs);
			gcs = countGcs();
		}
		socketsAtStart = sockets.count;
		timing.cpu = process.cpuUsage();
		timing.faults = process.resourceUsage().minorPageFault;
		timing.end = 0;
		timing.start = performance.now();
		try {
			return await execute.call(this);
		} finally {
			timing.end = performance.now();
			timing.cpuTaken = cpuMs(timing.cpu);
			timing.faults = process.resourceUsage().minorPageFault - timing.faults;
			nodeMemory = nodeSampler?.stop();
			sampler?.sample();
		}
	};

	const item = (file: string): FixtureItem => ({
		json: {},
		binary: { data: { path: file, fileName: 'bench.bin', mimeType: config.mimeType } },
	});
	const params = createParams({
		options: { concurrency: config.concurrency, directUpload: config.directUpload ?? true },
	});

	// One item per workflow, as the large-file rows run.
	for (let i = 0; i < WARMUP_RUNS; i++) {
		const warm = await runFlora(sim, {
			parameters: params,
			items: [item(config.warmupFile)],
			binaryMode: 'filesystem',
		});
		if (warm.error) throw warm.error;
	}

	sockets = countSockets();
	await idle();
	sampler = new MemorySampler(config.sampleEveryMs, config.forceGcEveryMs);

	const run = await runFlora(sim, {
		parameters: params,
		items: Array.from({ length: config.items }, () => item(config.file)),
		binaryMode: 'filesystem',
	});
	const memory = sampler.stop();
	const output: INodeExecutionData[] = run.items;

	if (!nodeMemory || !gcs) throw new Error('the Flora node did not run');
	const gc = await gcs.stop();
	const statuses = [...new Set(output.map((o) => String(o.json.status)))];
	const result: NodeRowResult = {
		ok: !run.error && output.length === config.items && statuses.every((s) => s === 'ready'),
		error: run.error?.message,
		nodeMs: timing.end - timing.start,
		workflowMs: run.durationMs,
		cpu: timing.cpuTaken,
		pageFaults: timing.faults,
		sockets: sockets.count - socketsAtStart,
		memory,
		nodeMemory,
		gc,
		statuses,
	};
	syncer.stop();
	cleanupHarness();
	emitResult(result);
}

main().catch((error: unknown) => {
	cleanupHarness();
	process.stderr.write(
		`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
	);
	process.exit(1);
});
