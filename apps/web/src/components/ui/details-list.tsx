import type { ReactNode } from 'react';
import './details-list.css';

export interface Detail {
  term: string;
  value: ReactNode;
}

/** Label–value pairs (a description list), in columns where there is room. */
export function DetailsList({ items }: { items: readonly Detail[] }) {
  return (
    <dl className="details-list">
      {items.map(({ term, value }) => (
        <div key={term} className="details-list__item">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
