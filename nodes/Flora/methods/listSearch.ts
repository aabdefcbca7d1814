import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { floraApiRequest } from '../transport';

interface Workspace {
	workspace_id: string;
	name?: string;
	url?: string;
}

interface Project {
	project_id: string;
	name?: string;
	url?: string;
}

/** Workspaces of the API key; FLORA does not paginate them, so the filter is local. */
export async function searchWorkspaces(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const response = await floraApiRequest.call(this, { method: 'GET', path: '/workspaces' });
	const needle = filter?.trim().toLowerCase();
	const results: INodeListSearchItems[] = ((response.workspaces as Workspace[] | undefined) ?? [])
		.filter(
			(w) =>
				!needle ||
				(w.name ?? '').toLowerCase().includes(needle) ||
				w.workspace_id.toLowerCase().includes(needle),
		)
		.map((w) => ({
			name: w.name ? `${w.name}` : w.workspace_id,
			value: w.workspace_id,
			...(w.url ? { url: w.url } : {}),
		}));
	return { results };
}

/** Projects of the selected workspace, searched and paginated by FLORA. */
export async function searchProjects(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const workspace = this.getCurrentNodeParameter('workspace', { extractValue: true });
	const filters = this.getCurrentNodeParameter('filters') as IDataObject | undefined;
	const workspaceId = String(workspace || filters?.workspaceId || '');
	const qs: IDataObject = { limit: 50 };
	if (workspaceId) qs.workspace_id = workspaceId;
	if (filter?.trim()) qs.query = filter.trim();
	if (paginationToken) qs.cursor = paginationToken;
	const response = await floraApiRequest.call(this, { method: 'GET', path: '/projects', qs });
	const results = ((response.projects as Project[] | undefined) ?? []).map((p) => ({
		name: p.name ?? p.project_id,
		value: p.project_id,
		...(p.url ? { url: p.url } : {}),
	}));
	const meta = response.meta as IDataObject | undefined;
	const next = typeof meta?.next_cursor === 'string' && meta.next_cursor ? meta.next_cursor : undefined;
	return { results, paginationToken: next };
}
