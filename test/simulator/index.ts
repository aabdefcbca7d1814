import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiHandler } from './api';
import { FaultQueue } from './faults';
import { Generative } from './generative';
import { Recorder } from './record';
import { resolveOptions, snapshot, Store, type SimContext } from './store';
import type { Asset, Fault, Simulator, SimulatorOptions } from './types';
import { createUploadHandler, UPLOAD_PATH } from './upload';

export type * from './types';
export { faultFromJson } from './faults';
export {
	floraSignatureHeader,
	parseFloraSignature,
	signFloraWebhook,
	verifyFloraWebhook,
} from './signing';

function listen(server: Server, host: string, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.removeListener('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

function originOf(host: string, port: number): string {
	return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts the FLORA API simulator: the API origin (with /api/v1 and the /__sim control API),
 * an ImageKit-like upload origin, and a redirect-target origin, each on its own port.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
	const record = new Recorder();
	const faults = new FaultQueue();
	const ctx: SimContext = {
		opts: resolveOptions(options),
		record,
		faults,
		store: undefined as unknown as Store,
		origins: { api: '', upload: '', redirect: '' },
		log: (message) => {
			if (!ctx.opts.quiet) console.error(`[flora-sim] ${message}`);
		},
		gen: undefined as unknown as Generative,
	};
	ctx.store = new Store(() => ctx);
	ctx.gen = new Generative(() => ctx);

	const sim: Simulator = {
		apiBaseUrl: '',
		apiOrigin: '',
		uploadOrigin: '',
		redirectOrigin: '',
		uploadUrl: '',
		apiKey: ctx.opts.apiKeys[0],
		record,
		cdnOrigin: '',
		get webhookSecret() {
			return ctx.gen.webhookSecret();
		},
		gen: ctx.gen.controls(),
		inject: (fault: Fault) => faults.add(fault),
		clearFaults: () => {
			faults.clear();
			ctx.gen.controls().clearFaults();
		},
		assets: (filter) =>
			[...ctx.store.assets.values()]
				.filter((a) => !filter?.status || a.status === filter.status)
				.map(snapshot),
		seedAssets: (n: number, base?: Partial<Asset>) => ctx.store.seed(n, base).map(snapshot),
		reset: () => {
			ctx.store.reset();
			ctx.gen.reset();
			record.clear();
			faults.clear();
		},
		configure: (opts) => {
			const {
				host: _h,
				apiPort: _a,
				uploadPort: _u,
				redirectPort: _r,
				cdnPort: _c,
				...rest
			} = opts;
			const before = ctx.opts;
			ctx.opts = resolveOptions(rest, before);
			sim.apiKey = ctx.opts.apiKeys[0];
			if (rest.workspaces !== undefined || rest.projectsPerWorkspace !== undefined)
				ctx.store.seedProjects();
		},
		close: async () => {
			await Promise.all(
				servers.map(
					(s) =>
						new Promise<void>((resolve) => {
							s.close(() => resolve());
							s.closeAllConnections();
						}),
				),
			);
		},
	};

	const api = createServer(createApiHandler(ctx, () => sim));
	const upload = createServer(createUploadHandler(ctx, 'upload'));
	const redirect = createServer(createUploadHandler(ctx, 'redirect'));
	const cdn = createServer(ctx.gen.cdn.handler());
	const servers = [api, upload, redirect, cdn];
	for (const s of servers) {
		// Large uploads may legitimately take long; tests own their timeouts.
		s.requestTimeout = 0;
		s.keepAliveTimeout = 5_000;
	}
	const { host } = ctx.opts;
	try {
		const [apiPort, uploadPort, redirectPort, cdnPort] = await Promise.all([
			listen(api, host, ctx.opts.apiPort),
			listen(upload, host, ctx.opts.uploadPort),
			listen(redirect, host, ctx.opts.redirectPort),
			listen(cdn, host, ctx.opts.cdnPort),
		]);
		ctx.gen.cdn.origin = originOf(host, cdnPort);
		ctx.origins = {
			api: originOf(host, apiPort),
			upload: originOf(host, uploadPort),
			redirect: originOf(host, redirectPort),
		};
	} catch (e) {
		servers.forEach((s) => s.listening && s.close());
		throw e;
	}
	sim.apiOrigin = ctx.origins.api;
	sim.uploadOrigin = ctx.origins.upload;
	sim.redirectOrigin = ctx.origins.redirect;
	sim.cdnOrigin = ctx.gen.cdn.origin;
	sim.apiBaseUrl = `${ctx.origins.api}/api/v1`;
	sim.uploadUrl = `${ctx.origins.upload}${UPLOAD_PATH}`;
	return sim;
}
