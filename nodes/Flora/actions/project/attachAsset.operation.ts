import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { assetIdField, locatorValue, projectLocator } from '../../helpers/descriptions';
import { itemError } from '../../helpers/errors';
import { validateAssetId, validateRequiredProjectId } from '../../helpers/validation';
import type { FloraErrorDetails } from '../../transport';
import { FloraApiError, floraApiRequest, floraApiTryRequest } from '../../transport';
import { idempotencyKey } from '../../transport/idempotency';

const properties: INodeProperties[] = [
	projectLocator({
		name: 'project',
		required: true,
		description:
			'The project (FLORA canvas) to put the asset on: pick it from the list, or give its ID (starts with prj_, e.g. prj_abc123)',
	}),
	assetIdField(
		"ID of a ready FLORA asset of the project's workspace, starting with asset_: the asset_id field that Asset → Create outputs",
	),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['project'], operation: ['attachAsset'] } },
	properties,
);

interface Attach {
	projectId: string;
	assetId: string;
}

export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<Attach> {
	return {
		projectId: validateRequiredProjectId(
			this,
			itemIndex,
			locatorValue(this.getNodeParameter('project', itemIndex)),
		),
		assetId: validateAssetId(this, itemIndex, this.getNodeParameter('assetId', itemIndex)),
	};
}

const NOT_READY_HINT =
	'The asset must be ready before it can be attached: create it with Wait for Ready on, or check its status with Asset → Get and attach it once it is ready.';

/** POST /projects/{id}/assets/{asset_id}/attach: the asset becomes a node on the canvas. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ projectId, assetId }: Attach,
): Promise<INodeExecutionData[]> {
	const projectPath = `/projects/${encodeURIComponent(projectId)}`;
	const outcome = await floraApiTryRequest.call(this, {
		method: 'POST',
		path: `${projectPath}/assets/${encodeURIComponent(assetId)}/attach`,
		idempotencyKey: idempotencyKey(this, itemIndex, 'attach', undefined, assetId),
		itemIndex,
	});
	if (outcome.ok) return [{ json: outcome.body }];
	if (outcome.error.code === 'idempotency_duplicate') {
		// An earlier try attached it and its answer was lost: find its node on the canvas.
		const { nodes } = await floraApiRequest.call(this, {
			method: 'GET',
			path: `${projectPath}/nodes`,
			itemIndex,
		});
		const node = ((nodes as IDataObject[] | undefined) ?? [])
			.filter((n) => n.asset_id === assetId)
			.pop();
		if (node)
			return [{ json: { asset_id: assetId, node_id: node.node_id, project_id: projectId } }];
		throw itemError(
			this,
			itemIndex,
			`FLORA already accepted this attach request, but asset ${assetId} is not on the canvas of project ${projectId}`,
			'FLORA answered 409 idempotency_duplicate: an earlier try of this same request was accepted. Nothing new was attached. Run the node again in a new execution to attach the asset.',
		);
	}
	const error = new FloraApiError(this, outcome.error, itemIndex);
	if (isNotReady(outcome.error)) error.description = `${error.description} ${NOT_READY_HINT}`;
	throw error;
}

function isNotReady(error: FloraErrorDetails): boolean {
	return (
		/not_ready|pending/.test(error.code) ||
		/not ready|pending_upload|still (uploading|processing)/i.test(error.message) ||
		error.fields.some((f) => /ready|pending/i.test(f.message))
	);
}
