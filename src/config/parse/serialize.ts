/** Documents back to YAML, as written (from `raw`), for `trellis get` and history. */
import { stringify } from 'yaml';
import type { ConfigDocument } from '../types.ts';

/** YAML text of one document from its `raw` form; parsing it again gives the same document. */
export function serializeDocument(doc: Pick<ConfigDocument, 'raw'>): string {
  return stringify(doc.raw, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Several documents as one multi-document YAML stream (`---` between them). */
export function serializeDocuments(docs: ReadonlyArray<Pick<ConfigDocument, 'raw'>>): string {
  return docs.map((doc) => serializeDocument(doc)).join('---\n');
}
