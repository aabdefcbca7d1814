/**
 * One benchmark row for Asset → Download, in a fresh process: a workflow
 * (fixture source → Flora Asset → Download) on the real n8n-core engine, binary
 * data in filesystem mode, against the simulator the parent started.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { Flora } from '../../nodes/Flora/Flora.node';
import { cleanupHarness } from '../integration/harness';
import { runFlora } from '../integration/harness/flora';
import type { Simulator } from '../simulator';
import type { GcCounts } from './measure';
import {
	WARMUP_RUNS,
	countGcs,
	cpuMs,
	emitResult,
	idle,
	MemorySampler,
	rowConfig,
} from './measure';

export interface DownloadRowConfig {
	apiBaseUrl: string;
	apiKey: string;
	/** The asset to download (ready, with its file on the simulator's CDN). */
	assetId: string;
	/** A small asset for the warm-up runs before the baseline is taken. */
	warmupAssetId: string;
	sampleEveryMs: number;
}

export interface DownloadRowResult {
	ok: boolean;
	error?: string;
	/** Flora node's execute(): GET /assets/{id}, then the file into n8n's binary store. */
	nodeMs: number;
	workflowMs: number;
	bytes: number;
	cpu: { user: number; system: number; total: number };
	/** From the idle process before the workflow. */
	memory: ReturnType<MemorySampler['stop']>;
	gc: GcCounts;
}

async function main(): Promise<void> {
	const config = rowConfig<DownloadRowConfig>();
	const sim = { apiKey: config.apiKey, apiBaseUrl: config.apiBaseUrl } as Simulator;

	const timing = { start: 0, end: 0, cpuTaken: cpuMs(process.cpuUsage()) };
	let measuring = false;
	let gcs: ReturnType<typeof countGcs> | undefined;
	const execute = Flora.prototype.execute;
	Flora.prototype.execute = async function (this: IExecuteFunctions) {
		if (measuring) gcs = countGcs();
		const cpu = process.cpuUsage();
		timing.start = performance.now();
		try {
			return await execute.call(this);
		} finally {
			timing.end = performance.now();
			timing.cpuTaken = cpuMs(cpu);
		}
	};
	const params = (assetId: string) => ({
		operation: 'download',
		assetId,
		binaryPropertyName: 'data',
	});

	for (let i = 0; i < WARMUP_RUNS; i++) {
		const warm = await runFlora(sim, {
			parameters: params(config.warmupAssetId),
			binaryMode: 'filesystem',
		});
		if (warm.error) throw warm.error;
	}

	await idle();
	measuring = true;
	const sampler = new MemorySampler(config.sampleEveryMs);
	const run = await runFlora(sim, {
		parameters: params(config.assetId),
		binaryMode: 'filesystem',
	});
	const memory = sampler.stop();
	if (!gcs) throw new Error('the Flora node did not run');
	const gc = await gcs.stop();
	const binary = run.items[0]?.binary?.data;
	const result: DownloadRowResult = {
		ok: !run.error && Boolean(binary?.id),
		error: run.error?.message,
		nodeMs: timing.end - timing.start,
		workflowMs: run.durationMs,
		bytes: Number(binary?.bytes ?? 0),
		cpu: timing.cpuTaken,
		memory,
		gc,
	};
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
