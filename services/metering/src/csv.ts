import { EXPORT_COLUMNS, type ExportRow } from './export-rows.ts'

/** RFC 4180 quoting; a free-text value that a spreadsheet would run as a formula is prefixed with a quote. */
function field(value: string, freeText: boolean): string {
  const safe = freeText && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

function line(row: ExportRow): string {
  return EXPORT_COLUMNS.map((column) => field(row[column], column === 'void_reason')).join(',')
}

/** The CSV text, one chunk per page of rows: what a stream of the export writes. */
export async function* csvChunks(pages: AsyncIterable<ExportRow[]>): AsyncGenerator<string> {
  yield `${EXPORT_COLUMNS.join(',')}\r\n`
  for await (const rows of pages) {
    yield `${rows.map(line).join('\r\n')}\r\n`
  }
}
