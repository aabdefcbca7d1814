/**
 * One benchmark row for FLORA's own SDK, in a fresh process: `assets.upload()`
 * of a file path (reserve, upload, complete, poll; or one direct POST /assets
 * for files up to 4 MB), against the same simulator as the node.
 */
import FLORA from '@flora-ai/flora';

import {
	countSockets,
	cpuMs,
	emitResult,
	MemorySampler,
	rowConfig,
	idle,
	WARMUP_RUNS,
} from './measure';

export interface SdkRowConfig {
	apiBaseUrl: string;
	apiKey: string;
	file: string;
	mimeType: string;
	warmupFile: string;
	sampleEveryMs: number;
}

export interface SdkRowResult {
	ok: boolean;
	error?: string;
	ms: number;
	cpu: { user: number; system: number; total: number };
	sockets: number;
	memory: ReturnType<MemorySampler['stop']>;
	status?: string;
	uploadedVia?: string;
}

async function main(): Promise<void> {
	const config = rowConfig<SdkRowConfig>();
	const client = new FLORA({ apiKey: config.apiKey, baseURL: config.apiBaseUrl, maxRetries: 0 });
	const params = { workspace_id: 'ws_demo', content_type: config.mimeType, file_name: 'bench.bin' };

	// As many warm-up uploads as the node gets.
	for (let i = 0; i < WARMUP_RUNS; i++) await client.assets.upload(config.warmupFile, params);
	const sockets = countSockets();
	await idle();
	const sampler = new MemorySampler(config.sampleEveryMs);
	const cpu = process.cpuUsage();
	const start = performance.now();
	let result: SdkRowResult;
	try {
		const asset = await client.assets.upload(config.file, params);
		const ms = performance.now() - start;
		result = {
			ok: asset.status === 'ready',
			ms,
			cpu: cpuMs(cpu),
			sockets: sockets.count,
			memory: sampler.stop(),
			status: asset.status,
			uploadedVia: asset.uploaded_via,
		};
	} catch (error) {
		result = {
			ok: false,
			error: error instanceof Error ? error.message : String(error),
			ms: performance.now() - start,
			cpu: cpuMs(cpu),
			sockets: sockets.count,
			memory: sampler.stop(),
		};
	}
	emitResult(result);
}

main().catch((error: unknown) => {
	process.stderr.write(
		`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
	);
	process.exit(1);
});
