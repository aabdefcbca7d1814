/**
 * What the browser test needs besides n8n itself: Debian's Chromium, n8n's REST API for the
 * owner and the credential, and the editor steps.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';

import type { Page } from 'playwright-core';

export const CHROMIUM = process.env.FLORA_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

export const log = (message: string) => process.stderr.write(`[flora-browser] ${message}\n`);

export function banner(lines: string[]): void {
	const rule = '='.repeat(78);
	process.stderr.write(`\n${rule}\n${lines.map((l) => ` ${l}`).join('\n')}\n${rule}\n\n`);
}

function apt(args: string[]): { ok: boolean; output: string } {
	const run = spawnSync('apt-get', args, {
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		encoding: 'utf8',
		timeout: 15 * 60_000,
	});
	return {
		ok: run.status === 0,
		output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}`,
	};
}

/**
 * Debian's Chromium, installed with apt-get when it is missing; never a downloaded browser
 * build. Runs before any server starts, so blocking is harmless here.
 */
export function ensureChromium(): { path: string } | { why: string } {
	if (existsSync(CHROMIUM)) return { path: CHROMIUM };
	if (process.env.FLORA_CHROMIUM) return { why: `FLORA_CHROMIUM=${CHROMIUM} does not exist` };
	if (!existsSync('/usr/bin/apt-get'))
		return { why: `${CHROMIUM} is missing and there is no apt-get here` };
	if (process.getuid?.() !== 0) {
		return {
			why: `${CHROMIUM} is missing and apt-get needs root (run: apt-get install -y chromium)`,
		};
	}
	log(`${CHROMIUM} is missing: apt-get install -y chromium ...`);
	let result = apt(['install', '-y', 'chromium']);
	if (!result.ok) {
		// A fresh container often has no package lists yet.
		log('apt-get install failed; apt-get update, then once more ...');
		apt(['update']);
		result = apt(['install', '-y', 'chromium']);
	}
	if (result.ok && existsSync(CHROMIUM)) return { path: CHROMIUM };
	const lastLines = result.output.trim().split('\n').slice(-8).join('\n');
	return { why: `apt-get install -y chromium failed:\n${lastLines}` };
}

export const OWNER = {
	email: 'owner@flora-e2e.test',
	firstName: 'Flora',
	lastName: 'Tester',
	password: `Flora-${randomBytes(6).toString('hex')}-9`,
};

/** n8n's own REST API, as its editor calls it (the auth cookie is bound to a browser ID). */
export class RestSession {
	private cookie = '';
	private readonly browserId = randomUUID();

	constructor(private readonly baseUrl: string) {}

	async call<T>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await fetch(`${this.baseUrl}/rest${path}`, {
			method,
			headers: {
				'content-type': 'application/json',
				'browser-id': this.browserId,
				...(this.cookie ? { cookie: this.cookie } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const auth = response.headers
			.getSetCookie()
			.map((c) => c.split(';')[0])
			.find((c) => c.startsWith('n8n-auth='));
		if (auth) this.cookie = auth;
		const text = await response.text();
		if (!response.ok)
			throw new Error(`${method} /rest${path} answered ${response.status}: ${text.slice(0, 500)}`);
		return (JSON.parse(text) as { data: T }).data;
	}
}

export async function signIn(page: Page, baseUrl: string): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.getByLabel('Email').fill(OWNER.email);
	await page.getByLabel('Password').fill(OWNER.password);
	await page.getByRole('button', { name: /sign in/i }).click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
}

/** Adds the Flora node with the "Create an asset" action to a new workflow; its panel opens. */
export async function addFloraCreate(page: Page, baseUrl: string): Promise<void> {
	await page.goto(`${baseUrl}/workflow/new`);
	await page.getByTestId('canvas-add-button').click({ timeout: 60_000 });
	await page.getByTestId('node-creator-search-bar').fill('Flora');
	await page
		.getByTestId('node-creator-item-name')
		.getByText('Flora', { exact: true })
		.first()
		.click();
	// With the trigger beside it, n8n lists Flora's triggers first and may show its
	// actions folded under "Actions (n)": unfold them when the action is not shown.
	const creator = page.getByTestId('node-creator');
	const actions = creator.getByText(/^Actions \(\d+\)$/).first();
	const create = creator.getByText('Create an asset', { exact: true }).first();
	await actions.waitFor({ timeout: 30_000 });
	if (!(await create.isVisible())) await actions.click();
	await create.click();
	await page.getByTestId('ndv').waitFor({ state: 'visible', timeout: 30_000 });
}

/** The entries of the resource-locator list that is open (it lives in a popper on the body). */
export function openListItems(page: Page) {
	return page.getByTestId('rlc-item').filter({ visible: true });
}

export async function texts(locator: ReturnType<typeof openListItems>): Promise<string[]> {
	return (await locator.allInnerTexts()).map((t) => t.trim());
}

/** Polls until the open list shows `count` entries (n8n searches as the user types). */
export async function waitForCount(page: Page, count: number, timeoutMs = 15_000): Promise<void> {
	const items = openListItems(page);
	for (const started = Date.now(); (await items.count()) !== count; ) {
		if (Date.now() - started > timeoutMs) return;
		await page.waitForTimeout(200);
	}
}
