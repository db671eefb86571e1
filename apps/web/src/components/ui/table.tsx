import type { Key, ReactNode } from 'react';
import { cx } from '../../lib/cx';
import './table.css';

export interface Column<Row> {
  header: string;
  cell: (row: Row) => ReactNode;
  /** Right-aligned, no label on phones: for a row's actions. */
  actions?: boolean;
  className?: string;
}

export interface TableProps<Row> {
  /** Names the table for assistive technology; visually hidden unless `showCaption`. */
  caption: string;
  showCaption?: boolean;
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => Key;
  empty?: ReactNode;
  /** Highlights a row, e.g. the current session. */
  rowTone?: (row: Row) => 'highlight' | undefined;
}

/** A data table. Below 40rem each row becomes a small card, every cell labelled with its column. */
export function Table<Row>({
  caption,
  showCaption = false,
  columns,
  rows,
  rowKey,
  empty = 'Nothing to show.',
  rowTone,
}: TableProps<Row>) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className={showCaption ? 'table__caption' : 'visually-hidden'}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th
                key={column.header}
                scope="col"
                className={cx(column.actions && 'table__actions', column.className)}
              >
                {column.actions ? <span className="visually-hidden">{column.header}</span> : column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr className="table__empty-row">
              <td colSpan={columns.length} className="table__empty">
                {empty}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)} className={cx(rowTone?.(row) === 'highlight' && 'table__row--highlight')}>
                {columns.map((column) => (
                  <td
                    key={column.header}
                    data-label={column.actions ? undefined : column.header}
                    className={cx(column.actions && 'table__actions', column.className)}
                  >
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
