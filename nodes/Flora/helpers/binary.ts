import type { IExecuteFunctions } from 'n8n-workflow';

import type { UploadSource } from '../transport/upload';
import { binaryUploadSource } from '../transport/upload';
import { itemError } from './errors';
import { requiredText, validateContentType } from './validation';

/** Where a binary input's name and type may be overridden, for the messages' fixes. */
export interface BinaryOverrides {
	contentType?: string;
	fileName?: string;
	/** The field a user sets to fix a missing or wrong MIME type / file name. */
	contentTypeField: string;
	fileNameField: string;
}

/**
 * An item's binary property as an upload source, after every check that needs
 * no request: not from an AI agent, the property exists, it has a FLORA type,
 * a name and some bytes. Streams from n8n's binary store when it can.
 */
export async function getItemBinarySource(
	context: IExecuteFunctions,
	itemIndex: number,
	fieldLabel: string,
	propertyNameValue: unknown,
	overrides: BinaryOverrides,
): Promise<UploadSource> {
	if (isToolExecution(context)) {
		throw itemError(
			context,
			itemIndex,
			'Binary files cannot be passed to this tool by an AI agent',
			'An agent cannot hand binary data to a tool. Give the agent the URL source instead (a public HTTPS link), or use this node in a normal workflow step after the node that makes the file.',
		);
	}
	const propertyName = requiredText(
		context,
		itemIndex,
		fieldLabel,
		propertyNameValue,
		'Enter the name of the binary property that holds the file (usually "data").',
	);
	const item = context.getInputData()[itemIndex];
	const binary = item?.binary?.[propertyName];
	if (!binary) {
		const present = Object.keys(item?.binary ?? {});
		throw itemError(
			context,
			itemIndex,
			`This item has no binary field "${propertyName}"`,
			present.length
				? `Its binary fields are: ${present.join(', ')}. Set ${fieldLabel} to one of them.`
				: 'It has no binary data at all. Make sure the previous node outputs a file (for example HTTP Request with Response Format "File", or Read/Write Files from Disk).',
		);
	}
	context.helpers.assertBinaryData(itemIndex, propertyName);
	const contentType = overrides.contentType ?? binary.mimeType;
	const fileName = overrides.fileName ?? binary.fileName;
	// Checked before the binary store is read, with a hint when the type came from the file.
	validateContentType(context, itemIndex, contentType, overrides.contentType === undefined);
	if (!contentType) {
		throw itemError(
			context,
			itemIndex,
			`The binary field "${propertyName}" has no MIME type`,
			`Set ${overrides.contentTypeField}, for example image/png.`,
		);
	}
	if (!fileName) {
		throw itemError(
			context,
			itemIndex,
			`The binary field "${propertyName}" has no file name`,
			`Set ${overrides.fileNameField}, for example hero.png.`,
		);
	}
	const source = await binaryUploadSource.call(context, itemIndex, propertyName, binary, {
		fileName,
		contentType,
	});
	if (!Number.isFinite(source.size) || source.size < 0) {
		throw itemError(
			context,
			itemIndex,
			`The binary field "${propertyName}" has no recorded size`,
			"n8n's binary data store holds no size for this file, and FLORA's upload needs one. Pass the file through a node that writes it again (for example Convert to File, or Read/Write Files from Disk), then run this node.",
		);
	}
	if (source.size === 0) {
		throw itemError(
			context,
			itemIndex,
			`The file in binary field "${propertyName}" is empty (0 bytes)`,
			'Check the node that produced the file; FLORA cannot store an empty file.',
		);
	}
	return source;
}

export function isToolExecution(context: IExecuteFunctions): boolean {
	return typeof context.isToolExecution === 'function' && context.isToolExecution();
}
