import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { loadPackageFromDist, runNode } from './harness';
import { PROBE_TYPE } from './harness/probe.node';

// Needs the built package: `npm run build` first (loadPackageFromDist says so when dist/ is missing).
describe('the built package', () => {
	let server: Server;
	let baseUrl: string;
	const authorizations: Array<string | undefined> = [];

	beforeAll(async () => {
		server = createServer((req, res) => {
			authorizations.push(req.headers.authorization);
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"data":[]}');
		});
		server.listen(0, '127.0.0.1');
		await once(server, 'listening');
		baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
	});

	afterAll(async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	});

	it('loads through package.json "n8n" with n8n\'s PackageDirectoryLoader', async () => {
		const pkg = await loadPackageFromDist();

		expect(pkg.packageName).toBe('n8n-nodes-flora');
		expect(Object.keys(pkg.nodeTypes)).toEqual([
			'n8n-nodes-flora.flora',
			'n8n-nodes-flora.floraTrigger',
		]);
		expect(Object.keys(pkg.credentialTypes)).toEqual(['floraApi']);
		expect(pkg.loader.known.credentials.floraApi.supportedNodes).toEqual(['flora', 'floraTrigger']);
	});

	it('authenticates with the compiled credential', async () => {
		const result = await runNode({
			from: 'dist',
			nodeType: PROBE_TYPE,
			parameters: { action: 'request' },
			items: [{ json: {} }],
			credentials: { floraApi: { apiKey: 'sk_live_dist', baseUrl } },
		});

		expect(result.error).toBeUndefined();
		expect(authorizations).toEqual(['Bearer sk_live_dist']);
	});
});
