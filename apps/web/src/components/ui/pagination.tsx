import { Button } from './button';
import './pagination.css';

export interface PaginationProps {
  page: number;
  pageSize: number;
  count: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPage: (page: number) => void;
  /** "users", "entries": what is counted. */
  noun: string;
  disabled?: boolean;
}

export function Pagination({
  page,
  pageSize,
  count,
  hasPrevious,
  hasNext,
  onPage,
  noun,
  disabled = false,
}: PaginationProps) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  return (
    <nav className="pagination" aria-label={`Pages of ${noun}`}>
      <p className="pagination__summary">
        Page {Math.min(page, pages)} of {pages} · {count} {noun}
      </p>
      <div className="pagination__buttons">
        <Button
          variant="secondary"
          size="sm"
          disabled={disabled || !hasPrevious}
          onClick={() => onPage(page - 1)}
        >
          Previous
        </Button>
        <Button
          variant="secondary"
          size="sm"
          disabled={disabled || !hasNext}
          onClick={() => onPage(page + 1)}
        >
          Next
        </Button>
      </div>
    </nav>
  );
}
