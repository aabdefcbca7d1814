import type { IDataObject, ILoadOptionsFunctions, ResourceMapperFields } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { fetchModels, fetchTechnique } from '../helpers/catalog';
import { modelParamsToFields, techniqueInputsToFields } from '../helpers/parameters';
import { FloraApiError } from '../transport';

// Editor dropdowns and field lists should answer quickly: one retry.
const EDITOR_ATTEMPTS = 2;

function locatorText(value: unknown): string {
	const raw = value !== null && typeof value === 'object' ? (value as IDataObject).value : value;
	return typeof raw === 'string' ? raw.trim() : '';
}

/** The chosen model's `params` as fields (Generation → Create → Model Parameters). */
export async function getModelParameters(
	this: ILoadOptionsFunctions,
): Promise<ResourceMapperFields> {
	const type = String(this.getCurrentNodeParameter('type') ?? 'image');
	const modelId = locatorText(this.getCurrentNodeParameter('model'));
	if (!modelId || modelId.startsWith('=')) {
		return {
			fields: [],
			emptyFieldsNotice:
				"Choose a model to set its parameters; the workspace's default model uses its own defaults.",
		};
	}
	const models = await fetchModels(this, type, { maxAttempts: EDITOR_ATTEMPTS });
	const model = models.find((m) => m.model_id === modelId);
	if (!model) {
		throw new NodeOperationError(
			this.getNode(),
			`Model "${modelId}" is not a FLORA ${type} model`,
			{
				description: `Pick a model from the Model list (it shows the ${type} models), or check Type.`,
			},
		);
	}
	return {
		fields: modelParamsToFields(model.params ?? []),
		emptyFieldsNotice: `Model ${model.name ?? model.model_id} has no parameters to set.`,
	};
}

/** The chosen technique's `inputs` as fields (Technique → Run → Inputs). */
export async function getTechniqueInputs(
	this: ILoadOptionsFunctions,
): Promise<ResourceMapperFields> {
	const ref = locatorText(this.getCurrentNodeParameter('technique'));
	if (!ref || ref.startsWith('=')) {
		return { fields: [], emptyFieldsNotice: 'Choose a technique to fill in its inputs.' };
	}
	const found = await fetchTechnique(this, ref, { maxAttempts: EDITOR_ATTEMPTS });
	if (!found.ok) {
		if (found.error.status === 404) {
			throw new NodeOperationError(
				this.getNode(),
				`Technique ${ref} was not found or is not accessible`,
				{ description: 'Pick the technique from the list, or check its ID or slug.' },
			);
		}
		throw new FloraApiError(this, found.error);
	}
	return {
		fields: techniqueInputsToFields(found.technique.inputs ?? []),
		emptyFieldsNotice: `Technique ${found.technique.name ?? ref} takes no inputs.`,
	};
}
