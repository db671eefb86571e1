import { cx } from '../../lib/cx';
import './spinner.css';

export interface SpinnerProps {
  size?: 'sm' | 'md' | 'lg';
  className?: string;
}

/** A decorative spinner; pair it with text, or use PageSpinner, which is announced. */
export function Spinner({ size = 'md', className }: SpinnerProps) {
  return <span className={cx('spinner', `spinner--${size}`, className)} aria-hidden="true" />;
}

/** A neutral, centred loading state for a page or a section, announced to screen readers. */
export function PageSpinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="page-spinner" role="status">
      <Spinner size="lg" />
      <span className="page-spinner__label">{label}</span>
    </div>
  );
}
