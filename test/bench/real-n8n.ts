/**
 * The benchmark's real-n8n table: the packed node inside a real n8n process (`n8n start`)
 * of each pinned line, next to what n8n's own nodes reach with the same file in the same
 * process, and next to curl. Workflows are started by production webhooks; every time is
 * a node's `executionTime` from the execution data n8n saved.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { cachedN8n, cacheRoot, ensureN8n, type InstalledN8n } from '../n8n/install';
import { resolveLines, type N8nLine } from '../n8n/lines';
import { N8nHome, NODE_TYPE } from '../n8n/n8n';
import { buildAndPack } from '../n8n/package';
import {
	SIM_CREDENTIAL,
	simulatorCredential,
	type Workflow,
	type WorkflowNode,
} from '../n8n/workflows';
import { locator } from '../shared/flora';
import { MiB } from './measure';

export interface RealSim {
	apiBaseUrl: string;
	apiKey: string;
}

/** What the parent benchmark lends this table: its simulator and its curl row. */
export interface RealN8nContext {
	sim: RealSim;
	/** The working folder of this benchmark run. */
	dir: string;
	/** File size in MiB (256 by default). */
	sizeMiB: number;
	/** Writes a test file of the given size (not timed). */
	makeFile: (path: string, bytes: number) => Promise<void>;
	reps: number;
	/** Install a line that is not in the cache (cold: several minutes per line). */
	install: boolean;
	/** Extra environment for every n8n process (user-controllable settings under test). */
	env: Record<string, string>;
	/** Extra NODE_OPTIONS for the n8n process. */
	nodeOptions?: string;
	log: (message: string) => void;
	/** `curl -F` of the file to a fresh reservation: its time_total, ms. */
	curl: (file: string) => Promise<{ ms: number }>;
	/** A fresh reservation's upload form, for the HTTP Request node. */
	reserve: () => Promise<{ url: string; fileField: string; fields: Record<string, string> }>;
	/** The largest request the upload origin saw since the last call, first to last byte, ms (resets the record). */
	uploadMs: () => Promise<number>;
}

/** One repetition of every row, back to back in one n8n process (curl beside it). */
export interface RealRep {
	curlMs: number;
	curlUploadMs: number;
	/** Read/Write Files → write: n8n's binary store streamed into a file, the in-process ceiling. */
	copyMs: number;
	/** Read/Write Files → read: the file streamed into n8n's binary store (before each row). */
	readMs: number;
	floraMs: number;
	floraUploadMs: number;
	httpMs: number;
	httpUploadMs: number;
}

export interface RealLine {
	version: string;
	nodeVersion: string;
	/** Why the line was not measured, when it was not. */
	skipped?: string;
	startMs?: number;
	setupMs?: number;
	reps: RealRep[];
	/** The settings this line ran with beyond the e2e tier's own. */
	env: Record<string, string>;
}

const WF_ID = 'floraBenchReal01';
const WORKSPACE = 'ws_demo';
/** Warm-up executions of every row with a 4 KiB file: n8n runs for days, its code paths are warm. */
const WARMUP = 3;

let seq = 0;
function wfNode(
	name: string,
	type: string,
	typeVersion: number,
	parameters: Record<string, unknown>,
	extra: Partial<WorkflowNode> = {},
): WorkflowNode {
	seq++;
	return {
		id: `00000000-0000-4000-9000-${String(seq).padStart(12, '0')}`,
		name,
		type,
		typeVersion,
		position: [seq * 220, 0],
		parameters,
		...extra,
	};
}

const ROWS = ['flora', 'copy', 'http'] as const;
type Row = (typeof ROWS)[number];
const WEBHOOK_PATH: Record<Row, string> = {
	flora: 'flora-bench-node',
	copy: 'flora-bench-copy',
	http: 'flora-bench-http',
};
/** The node whose executionTime is the row's figure. */
const TIMED_NODE: Record<Row, string> = {
	flora: 'Flora',
	copy: 'Write Files',
	http: 'HTTP Request',
};
const READ_NODE = (row: Row) => `Read ${row}`;
const FORM_FIELDS = [
	'token',
	'signature',
	'expire',
	'publicKey',
	'fileName',
	'folder',
	'useUniqueFileName',
	'customMetadata',
];

/**
 * One workflow, three production webhooks (one activation): each starts its own chain
 * Webhook → Read/Write Files (read the posted path into n8n's binary store) → the row's node.
 */
export function benchWorkflow(copyTarget: string): Workflow {
	const nodes: WorkflowNode[] = [];
	const connections: Workflow['connections'] = {};
	const link = (from: string, to: string) => {
		connections[from] = { main: [[{ node: to, type: 'main', index: 0 }]] };
	};
	for (const row of ROWS) {
		const hook = wfNode(
			`Webhook ${row}`,
			'n8n-nodes-base.webhook',
			2,
			{ httpMethod: 'POST', path: WEBHOOK_PATH[row], responseMode: 'lastNode', options: {} },
			{ webhookId: randomUUID() },
		);
		const read = wfNode(READ_NODE(row), 'n8n-nodes-base.readWriteFile', 1, {
			operation: 'read',
			fileSelector: `={{ $json.body.file }}`,
			options: {},
		});
		let last: WorkflowNode;
		if (row === 'flora') {
			last = wfNode(
				TIMED_NODE.flora,
				NODE_TYPE,
				1,
				{
					resource: 'asset',
					operation: 'create',
					workspace: locator(WORKSPACE),
					source: 'binary',
					binaryPropertyName: 'data',
					options: {},
				},
				{ credentials: { floraApi: { ...SIM_CREDENTIAL } } },
			);
		} else if (row === 'copy') {
			last = wfNode(TIMED_NODE.copy, 'n8n-nodes-base.readWriteFile', 1, {
				operation: 'write',
				fileName: copyTarget,
				dataPropertyName: 'data',
				options: {},
			});
		} else {
			const body = (key: string) => `={{ $('Webhook http').first().json.body.${key} }}`;
			last = wfNode(TIMED_NODE.http, 'n8n-nodes-base.httpRequest', 4.2, {
				method: 'POST',
				url: body('url'),
				sendBody: true,
				contentType: 'multipart-form-data',
				bodyParameters: {
					parameters: [
						...FORM_FIELDS.map((name) => ({
							parameterType: 'formData',
							name,
							value: body(`fields.${name}`),
						})),
						{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' },
					],
				},
				options: {},
			});
		}
		nodes.push(hook, read, last);
		link(hook.name, read.name);
		link(read.name, last.name);
	}
	return {
		id: WF_ID,
		name: 'Bench: the node, n8n copying, the HTTP Request node',
		active: false,
		versionId: randomUUID(),
		nodes,
		connections,
		settings: { executionOrder: 'v1' },
	};
}

interface SavedRun {
	id: number;
	status: string;
	data?: {
		resultData?: {
			error?: { message?: string };
			runData?: Record<string, Array<{ executionTime?: number; executionStatus?: string }>>;
		};
	};
}

class RealN8n {
	private lastExecution = 0;
	constructor(
		readonly home: N8nHome,
		private readonly ctx: RealN8nContext,
	) {}

	/** Posts to a row's webhook; n8n answers when the workflow has finished. */
	async trigger(row: Row, body: Record<string, unknown>): Promise<SavedRun> {
		const response = await fetch(`${this.home.baseUrl}/webhook/${WEBHOOK_PATH[row]}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		const text = await response.text();
		if (response.status !== 200) {
			const saved = await this.savedRun().catch(() => undefined);
			// The simulator's side of it: takeRecord throws with any violation it saw.
			const simSide = await this.ctx.uploadMs().then(
				() => '',
				(e: Error) => ` (${e.message})`,
			);
			const error = saved?.data?.resultData?.error as
				| { message?: string; description?: string; node?: { name?: string } }
				| undefined;
			throw new Error(
				`n8n ${this.home.version}: the ${row} webhook answered ${response.status}: ${text.slice(0, 300)}; ` +
					`the execution's error: ${error ? `${error.node?.name ?? '?'}: ${error.message} ${error.description ?? ''}` : '(none saved)'}${simSide}`,
			);
		}
		if (response.status !== 200) {
			throw new Error(
				`n8n ${this.home.version}: the ${row} webhook answered ${response.status}: ${text.slice(0, 500)} (log ${this.home.startLog})`,
			);
		}
		return await this.savedRun();
	}

	/** The next execution n8n saved (it saves after answering the webhook). */
	private async savedRun(): Promise<SavedRun> {
		const deadline = Date.now() + 30_000;
		for (;;) {
			const rows = (await this.home.query(
				`SELECT e.id, e.status, d.data FROM execution_entity e
				 LEFT JOIN execution_data d ON d.executionId = e.id
				 WHERE CAST(e.id AS INTEGER) > ? ORDER BY CAST(e.id AS INTEGER) LIMIT 1`,
				[this.lastExecution],
				['data'],
			)) as Array<Omit<SavedRun, 'id'> & { id: number | string }>;
			const run = rows[0];
			if (run && !['new', 'running'].includes(run.status) && run.data) {
				this.lastExecution = Number(run.id);
				return { ...run, id: Number(run.id) };
			}
			if (Date.now() > deadline)
				throw new Error(
					`n8n ${this.home.version}: no finished execution saved after ${this.lastExecution}`,
				);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}

	/** Runs a row and returns the executionTime of its read and its timed node. */
	async run(row: Row, file: string): Promise<{ ms: number; readMs: number }> {
		const body: Record<string, unknown> = { file };
		if (row === 'http') {
			const form = await this.ctx.reserve();
			body.url = form.url;
			body.fields = form.fields;
		}
		const saved = await this.trigger(row, body);
		const runData = saved.data?.resultData?.runData ?? {};
		const timed = runData[TIMED_NODE[row]]?.[0];
		const read = runData[READ_NODE(row)]?.[0];
		const error = saved.data?.resultData?.error?.message;
		if (saved.status !== 'success' || !timed || timed.executionTime === undefined || !read) {
			throw new Error(
				`n8n ${this.home.version}: the ${row} row's execution ${saved.id} ended ${saved.status}${error ? `: ${error}` : ''} (log ${this.home.startLog})`,
			);
		}
		return { ms: timed.executionTime, readMs: read.executionTime ?? NaN };
	}
}

/** Whether every line can be measured without installing, and why not. */
export function realN8nAvailability(): { lines: N8nLine[]; missing: N8nLine[]; cache: string } {
	const lines = resolveLines(process.env.FLORA_BENCH_LINES || undefined);
	return { lines, missing: lines.filter((l) => !cachedN8n(l)), cache: cacheRoot() };
}

/** A user folder with the package, the credential and the workflow imported and activated. */
async function prepareLine(
	install: InstalledN8n,
	tarball: string,
	ctx: RealN8nContext,
	filesDir: string,
): Promise<{ home: N8nHome; setupMs: number }> {
	const started = Date.now();
	const version = install.line.version;
	const workDir = join(ctx.dir, `n8n-${version}`);
	const env: Record<string, string> = {
		N8N_RESTRICT_FILE_ACCESS_TO: filesDir,
		...ctx.env,
	};
	if (ctx.nodeOptions) env.NODE_OPTIONS = ctx.nodeOptions;
	const home = await N8nHome.create({ install, workDir, filesDir, env });
	await home.installPackage(tarball);
	await home.importCredentials([simulatorCredential(ctx.sim.apiBaseUrl, ctx.sim.apiKey)]);
	await home.importWorkflows([benchWorkflow(join(filesDir, 'out', 'copy.bin'))]);
	await home.activate(WF_ID);
	return { home, setupMs: Date.now() - started };
}

async function startLine(
	home: N8nHome,
	ctx: RealN8nContext,
): Promise<{ n8n: RealN8n; startMs: number }> {
	const { ms: startMs } = await home.start({ timeoutMs: 120_000 });
	for (const row of ROWS) await home.waitForWebhook(WEBHOOK_PATH[row]);
	return { n8n: new RealN8n(home, ctx), startMs };
}

/**
 * Every line: one n8n process, warm-up executions, then `reps` repetitions of
 * curl, n8n's own copy, the Flora node and the HTTP Request node, back to back.
 */
export async function realN8nRows(ctx: RealN8nContext): Promise<RealLine[]> {
	const { lines, missing } = realN8nAvailability();
	const out: RealLine[] = [];
	if (missing.length && !ctx.install) {
		// The caller decides whether to run at all; this is the safety net.
		return lines.map((l) => ({
			version: l.version,
			nodeVersion: '?',
			skipped: 'not in the n8n cache',
			reps: [],
			env: ctx.env,
		}));
	}
	// n8n may read and write only here (N8N_RESTRICT_FILE_ACCESS_TO).
	const filesDir = join(ctx.dir, 'files');
	mkdirSync(join(filesDir, 'out'), { recursive: true });
	const file = join(filesDir, `real-${ctx.sizeMiB}.mp4`);
	const warmupFile = join(filesDir, 'warmup.mp4');
	ctx.log(`writing the ${ctx.sizeMiB} MiB test file for real n8n`);
	await ctx.makeFile(file, ctx.sizeMiB * MiB);
	await ctx.makeFile(warmupFile, 4096);
	const pack = await buildAndPack(join(ctx.dir, 'package'), ctx.log);
	const installs: InstalledN8n[] = [];
	for (const line of lines) installs.push(cachedN8n(line) ?? (await ensureN8n(line, ctx.log)));
	// The imports are n8n CLI start-ups, about 25 s per line on 2 cores: every line's at
	// once, before anything is measured.
	ctx.log(`real n8n ${lines.map((l) => l.version).join(', ')}: imports (n8n's CLI)`);
	const prepared = await Promise.all(
		installs.map(async (install) => await prepareLine(install, pack.tarball, ctx, filesDir)),
	);
	for (const [i, line] of lines.entries()) {
		const install = installs[i];
		const { home, setupMs } = prepared[i];
		ctx.log(`real n8n ${line.version} (Node ${install.nodeVersion}): starting`);
		const { n8n, startMs } = await startLine(home, ctx);
		const result: RealLine = {
			version: line.version,
			nodeVersion: install.nodeVersion,
			startMs,
			setupMs,
			reps: [],
			env: ctx.env,
		};
		try {
			ctx.log(
				`real n8n ${line.version}: imports ${(setupMs / 1000).toFixed(1)} s, start ${(startMs / 1000).toFixed(1)} s; warming up`,
			);
			for (let i = 0; i < WARMUP; i++) {
				for (const row of ROWS) await n8n.run(row, warmupFile);
			}
			await ctx.uploadMs();
			for (let rep = 1; rep <= ctx.reps; rep++) {
				const curl = await ctx.curl(file);
				const curlUploadMs = await ctx.uploadMs();
				const copy = await n8n.run('copy', file);
				const flora = await n8n.run('flora', file);
				const floraUploadMs = await ctx.uploadMs();
				const http = await n8n.run('http', file);
				const httpUploadMs = await ctx.uploadMs();
				const r: RealRep = {
					curlMs: curl.ms,
					curlUploadMs,
					copyMs: copy.ms,
					readMs: median([copy.readMs, flora.readMs, http.readMs]),
					floraMs: flora.ms,
					floraUploadMs,
					httpMs: http.ms,
					httpUploadMs,
				};
				result.reps.push(r);
				ctx.log(
					`real n8n ${line.version}, run ${rep}/${ctx.reps}: curl ${r.curlMs.toFixed(0)} ms; ` +
						`n8n copy ${r.copyMs} ms (read ${r.readMs} ms); Flora node ${r.floraMs} ms (upload ${r.floraUploadMs} ms); ` +
						`HTTP Request ${r.httpMs} ms (upload ${r.httpUploadMs} ms)`,
				);
			}
		} finally {
			await n8n.home.stop();
			rmSync(join(filesDir, 'out', 'copy.bin'), { force: true });
		}
		out.push(result);
	}
	return out;
}

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
