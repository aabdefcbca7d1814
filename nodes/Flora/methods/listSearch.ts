import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { fetchModels } from '../helpers/catalog';
import { isFloraId } from '../helpers/ids';
import type { FloraTechnique } from '../helpers/parameters';
import { floraApiRequest } from '../transport';

// FLORA's workspace and project list entries carry no web address (spec 1.6.0), and
// FLORA documents no URL pattern for them, so the entries have no `url` link.
// A dropdown in the editor should answer quickly: one retry, not the full budget.
const PICKER_ATTEMPTS = 2;

interface Workspace {
	workspace_id: string;
	name?: string;
}

interface Project {
	project_id: string;
	name?: string;
}

// FLORA accepts 1 to 100; n8n asks for the next page as the user scrolls.
const PROJECT_PAGE_SIZE = 50;

/** Workspaces of the API key; FLORA does not paginate them, so the search is local. */
export async function searchWorkspaces(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const response = await floraApiRequest.call(this, {
		method: 'GET',
		path: '/workspaces',
		maxAttempts: PICKER_ATTEMPTS,
	});
	const needle = filter?.trim().toLowerCase();
	const results: INodeListSearchItems[] = ((response.workspaces as Workspace[] | undefined) ?? [])
		.filter(
			(w) =>
				!needle ||
				(w.name ?? '').toLowerCase().includes(needle) ||
				w.workspace_id.toLowerCase().includes(needle),
		)
		.map((w) => ({ name: w.name || w.workspace_id, value: w.workspace_id }));
	return { results };
}

/** Projects of the selected workspace, searched and paginated by FLORA. */
export async function searchProjects(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const workspaceId = selectedWorkspace(this);
	const qs: IDataObject = { workspace_id: workspaceId, limit: PROJECT_PAGE_SIZE };
	if (filter?.trim()) qs.query = filter.trim();
	if (paginationToken) qs.cursor = paginationToken;
	const response = await floraApiRequest.call(this, {
		method: 'GET',
		path: '/projects',
		qs,
		maxAttempts: PICKER_ATTEMPTS,
	});
	const results: INodeListSearchItems[] = ((response.projects as Project[] | undefined) ?? []).map(
		(p) => ({ name: p.name || p.project_id, value: p.project_id }),
	);
	const meta = response.meta as IDataObject | undefined;
	const next =
		typeof meta?.next_cursor === 'string' && meta.next_cursor ? meta.next_cursor : undefined;
	return { results, paginationToken: next };
}

/**
 * The workspace whose projects to list: Create's Workspace, or Get Many's Workspace
 * filter. Read raw rather than with `extractValue`, which fails for a parameter the
 * current operation does not show.
 */
function selectedWorkspace(context: ILoadOptionsFunctions): string {
	const operation = context.getCurrentNodeParameter('operation');
	const filters = context.getCurrentNodeParameter('filters') as IDataObject | undefined;
	const raw =
		operation === 'getAll' ? filters?.workspaceId : context.getCurrentNodeParameter('workspace');
	const value = raw !== null && typeof raw === 'object' ? (raw as IDataObject).value : raw;
	const id = typeof value === 'string' ? value.trim() : '';
	const field = operation === 'getAll' ? 'Filters → Workspace' : 'Workspace';
	if (!id) {
		throw new NodeOperationError(context.getNode(), 'Choose a workspace first', {
			description: `FLORA lists projects per workspace. Set ${field}, then open this list again.`,
		});
	}
	if (!isFloraId('workspace', id)) {
		throw new NodeOperationError(context.getNode(), `"${id}" is not a FLORA workspace ID`, {
			description: `Projects are listed for the workspace in ${field}; a workspace ID starts with ws_ (for example ws_abc123).`,
		});
	}
	return id;
}

function money(value: unknown): string | undefined {
	const n = Number(value);
	return value !== undefined && value !== null && Number.isFinite(n)
		? `$${n.toFixed(2)}`
		: undefined;
}

/** Models of the chosen Type, each with its estimated credits and time; searched locally. */
export async function searchModels(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const type = String(this.getCurrentNodeParameter('type') ?? 'image');
	const models = await fetchModels(this, type, { maxAttempts: PICKER_ATTEMPTS });
	const needle = filter?.trim().toLowerCase();
	const results: INodeListSearchItems[] = models
		.filter(
			(m) =>
				!needle ||
				(m.name ?? '').toLowerCase().includes(needle) ||
				m.model_id.toLowerCase().includes(needle) ||
				(m.provider ?? '').toLowerCase().includes(needle),
		)
		.map((m) => {
			const facts = [
				m.estimated_credits !== undefined ? `~${m.estimated_credits} credits` : undefined,
				m.estimated_seconds !== undefined ? `~${m.estimated_seconds} s` : undefined,
				m.provider,
				m.beta ? 'beta' : undefined,
			].filter(Boolean);
			return {
				name: m.name || m.model_id,
				value: m.model_id,
				description: facts.join(' · '),
			};
		});
	return { results };
}

/** Techniques of the chosen workspace (all the key sees when none is chosen), searched by FLORA. */
export async function searchTechniques(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const raw = this.getCurrentNodeParameter('workspace');
	const value = raw !== null && typeof raw === 'object' ? (raw as IDataObject).value : raw;
	const workspaceId = typeof value === 'string' ? value.trim() : '';
	const qs: IDataObject = { limit: PROJECT_PAGE_SIZE };
	if (workspaceId && isFloraId('workspace', workspaceId)) qs.workspace_id = workspaceId;
	if (filter?.trim()) qs.query = filter.trim();
	if (paginationToken) qs.cursor = paginationToken;
	const response = await floraApiRequest.call(this, {
		method: 'GET',
		path: '/techniques',
		qs,
		maxAttempts: PICKER_ATTEMPTS,
	});
	const results: INodeListSearchItems[] = (
		(response.techniques as FloraTechnique[] | undefined) ?? []
	).map((t) => {
		const inputs = (t.inputs ?? []).map((i) => i.name || i.id).join(', ');
		const facts = [
			money(t.run_cost) ? `${money(t.run_cost)} per run` : undefined,
			inputs ? `inputs: ${inputs}` : undefined,
		].filter(Boolean);
		return {
			name: t.name || t.technique_id,
			value: t.technique_id,
			description: facts.join(' · '),
		};
	});
	const meta = response.meta as IDataObject | undefined;
	const next =
		typeof meta?.next_cursor === 'string' && meta.next_cursor ? meta.next_cursor : undefined;
	return { results, paginationToken: next };
}
