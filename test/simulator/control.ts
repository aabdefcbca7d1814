import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultFromJson, faultToJson } from './faults';
import { GEN_CONTROL_ENDPOINTS, handleGenerativeControl } from './generative-control';
import type { SimContext } from './store';
import type { Asset, Fault, SimulatorOptions } from './types';

/** The parts of the simulator the control API drives. */
export interface ControlTarget {
	inject(fault: Fault): void;
	clearFaults(): void;
	assets(filter?: { status?: string }): Asset[];
	seedAssets(n: number, base?: Partial<Asset>): Asset[];
	reset(): void;
	configure(opts: Partial<SimulatorOptions>): void;
}

const ENDPOINTS = [
	'GET /__sim/record',
	'GET /__sim/assets?status=',
	'POST /__sim/assets/seed {"n":5,"base":{...}}',
	'GET /__sim/faults',
	'POST /__sim/faults (Fault or Fault[]; RegExp path as {"regex":"...","flags":""})',
	'DELETE /__sim/faults',
	'POST /__sim/reset',
	'GET /__sim/config',
	'POST /__sim/configure (partial SimulatorOptions)',
	...GEN_CONTROL_ENDPOINTS,
];

function send(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
	});
	res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
	return new Promise((resolve, reject) => {
		const parts: Buffer[] = [];
		req.on('data', (c: Buffer) => parts.push(c));
		req.on('end', () => {
			const text = Buffer.concat(parts).toString('utf8').trim();
			try {
				resolve(text ? JSON.parse(text) : {});
			} catch {
				reject(new Error('invalid JSON'));
			}
		});
		req.on('error', reject);
	});
}

/** Test control API (no auth, not recorded, never faulted). */
export async function handleControl(
	ctx: SimContext,
	sim: ControlTarget,
	req: IncomingMessage,
	res: ServerResponse,
	url: URL,
): Promise<void> {
	const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
	try {
		switch (route) {
			case 'GET /__sim':
				return send(res, 200, { endpoints: ENDPOINTS });
			case 'GET /__sim/record':
				return send(res, 200, ctx.record.toJSON());
			case 'GET /__sim/assets': {
				const status = url.searchParams.get('status') ?? undefined;
				return send(res, 200, { assets: sim.assets(status ? { status } : undefined) });
			}
			case 'POST /__sim/assets/seed': {
				const body = (await readJson(req)) as { n?: unknown; base?: Partial<Asset> };
				const n = Number(body.n ?? 1);
				if (!Number.isInteger(n) || n < 0 || n > 10_000)
					return send(res, 400, { error: 'n must be an integer 0..10000' });
				return send(res, 200, { assets: sim.seedAssets(n, body.base ?? {}) });
			}
			case 'GET /__sim/faults':
				return send(res, 200, { faults: ctx.faults.list().map(faultToJson) });
			case 'POST /__sim/faults': {
				const body = await readJson(req);
				const faults = (Array.isArray(body) ? body : [body]).map(faultFromJson);
				faults.forEach((f) => sim.inject(f));
				return send(res, 200, { queued: faults.length });
			}
			case 'DELETE /__sim/faults':
				sim.clearFaults();
				return send(res, 200, { cleared: true });
			case 'POST /__sim/reset':
				await readJson(req);
				sim.reset();
				return send(res, 200, { reset: true });
			case 'GET /__sim/config':
				return send(res, 200, ctx.opts);
			case 'POST /__sim/configure': {
				const body = await readJson(req);
				if (!body || typeof body !== 'object' || Array.isArray(body))
					return send(res, 400, { error: 'expected an object' });
				sim.configure(body as Partial<SimulatorOptions>);
				return send(res, 200, ctx.opts);
			}
			default:
				if (await handleGenerativeControl(ctx, route, req, res, url)) return;
				req.resume();
				return send(res, 404, { error: `unknown control endpoint ${route}`, endpoints: ENDPOINTS });
		}
	} catch (e) {
		return send(res, 400, { error: e instanceof Error ? e.message : String(e) });
	}
}
